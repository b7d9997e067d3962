package io.charstream.model.fused;

import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The fused LSTM kernel: one layer's forward and backward pass over a whole sequence for a slice of
 * the batch, on the calling thread, with DL4J's gate layout and equations (block input a = tanh,
 * forget f, output o, input gate g = sigmoid; c' = f c + g a; h' = o tanh(c'); no peepholes).
 *
 * <p>Work per sequence of T steps: one GEMM for the input projection of all T steps, one recurrent
 * GEMM per step, the gate arithmetic in vectorised Java loops ({@link GateMath}); backward: one GEMM
 * per step for the recurrent gradient, then three GEMMs over all steps for the input-weight,
 * recurrent-weight and input gradients. Nothing is allocated per call once the buffers have their
 * size.
 *
 * <p>Layouts ("rows (t, b)" means row t * B + b): native buffers, row-major — x [T, B, nIn] inputs;
 * z [T, B, 4H] gate pre-activations; h [T + 1, B, H] hidden states, slab 0 the initial state; e [T,
 * B, H] loss gradient w.r.t. the outputs; dz [T, B, 4H] gradient w.r.t. the gate pre-activations; dx
 * [T, B, nIn]. Java arrays hold one step each, [B * H] row-major [b][j], one array per gate so that
 * every loop indexes all its arrays alike (see {@link GateMath}). DL4J's weights are column-major
 * W [nIn, 4H] and RW [H, 4H], i.e. row-major W^T [4H][nIn] and RW^T [4H][H], which is how they are
 * passed to BLAS.
 *
 * <p>Not thread-safe; each shard is driven by one thread at a time.
 */
final class LstmShard {

  /** Read-only weights of one layer: native W^T [4H][nIn], RW^T [4H][H], and the bias [4H]. */
  record Params(FloatPointer inputWeights, FloatPointer recurrentWeights, float[] bias) {}

  private final int nIn;
  private final int hidden;
  private int batch;
  private int steps;
  private int capacityBatch;
  private int capacitySteps;
  private boolean zeroInitialState;

  private NativeBuffer x;
  private NativeBuffer z;
  private NativeBuffer h;
  private NativeBuffer e;
  private NativeBuffer dz;
  private NativeBuffer dx;
  private NativeBuffer dhRecurrent;
  private NativeBuffer gradInputWeights;
  private NativeBuffer gradRecurrentWeights;

  // Per step [B * H]: gate activations, tanh of the cell; cell states c[0] (initial) .. c[T].
  private float[][] a;
  private float[][] f;
  private float[][] o;
  private float[][] g;
  private float[][] tanhC;
  private float[][] c;

  // Scratch, [B * 4H] or [B * H].
  private float[] zRow;
  private float[] zA;
  private float[] zF;
  private float[] zO;
  private float[] zG;
  private float[] biasA;
  private float[] biasF;
  private float[] biasO;
  private float[] biasG;
  private float[] hRow;
  private float[] dh;
  private float[] dhRow;
  private float[] dc;
  private float[] carry;
  private float[] dA;
  private float[] dF;
  private float[] dO;
  private float[] dG;
  private float[] sumA;
  private float[] sumF;
  private float[] sumO;
  private float[] sumG;
  private final float[] biasGradient;

  LstmShard(int nIn, int hidden) {
    this.nIn = nIn;
    this.hidden = hidden;
    this.biasGradient = new float[4 * hidden];
  }

  /** Sets the batch slice and sequence length of the next pass, growing the buffers if needed. */
  void resize(int batch, int steps) {
    if (batch < 1 || steps < 1) {
      throw new IllegalArgumentException("batch and steps must be >= 1, got " + batch + ", " + steps);
    }
    this.batch = batch;
    this.steps = steps;
    if (batch <= capacityBatch && steps <= capacitySteps) {
      return;
    }
    capacityBatch = Math.max(batch, capacityBatch);
    capacitySteps = Math.max(steps, capacitySteps);
    long rows = (long) capacityBatch * capacitySteps;
    int gates = 4 * hidden;
    x = new NativeBuffer(rows * nIn);
    z = new NativeBuffer(rows * gates);
    h = new NativeBuffer(rows * hidden + (long) capacityBatch * hidden);
    e = new NativeBuffer(rows * hidden);
    dz = new NativeBuffer(rows * gates);
    dx = new NativeBuffer(rows * nIn);
    dhRecurrent = new NativeBuffer((long) capacityBatch * hidden);
    int n = Math.multiplyExact(capacityBatch, hidden);
    a = new float[capacitySteps][n];
    f = new float[capacitySteps][n];
    o = new float[capacitySteps][n];
    g = new float[capacitySteps][n];
    tanhC = new float[capacitySteps][n];
    c = new float[capacitySteps + 1][n];
    zRow = new float[4 * n];
    zA = new float[n];
    zF = new float[n];
    zO = new float[n];
    zG = new float[n];
    biasA = new float[n];
    biasF = new float[n];
    biasO = new float[n];
    biasG = new float[n];
    hRow = new float[n];
    dh = new float[n];
    dhRow = new float[n];
    dc = new float[n];
    carry = new float[n];
    dA = new float[n];
    dF = new float[n];
    dO = new float[n];
    dG = new float[n];
    sumA = new float[n];
    sumF = new float[n];
    sumO = new float[n];
    sumG = new float[n];
  }

  int batch() {
    return batch;
  }

  int steps() {
    return steps;
  }

  /** Where the caller puts the input: [T, B, nIn]. */
  INDArray inputView() {
    return x.view(0, steps, batch, nIn);
  }

  /** The outputs after {@link #forward}: [T, B, H]. */
  INDArray outputView() {
    return h.view((long) batch * hidden, steps, batch, hidden);
  }

  /** Where the caller puts the loss gradient w.r.t. the outputs before {@link #backward}: [T, B, H]. */
  INDArray epsilonView() {
    return e.view(0, steps, batch, hidden);
  }

  /** The loss gradient w.r.t. the inputs after {@link #backward}: [T, B, nIn]. */
  INDArray inputGradientView() {
    return dx.view(0, steps, batch, nIn);
  }

  /**
   * Sets the state the sequence starts from: rows {@code [row0, row0 + B)} of {@code [mb * H]}
   * row-major arrays, or zeros when both are null.
   */
  void setInitialState(float[] h0, float[] c0, int row0) {
    int n = batch * hidden;
    if (h0 == null || c0 == null) {
      Arrays.fill(hRow, 0, n, 0f);
      Arrays.fill(c[0], 0, n, 0f);
      zeroInitialState = true;
    } else {
      System.arraycopy(h0, row0 * hidden, hRow, 0, n);
      System.arraycopy(c0, row0 * hidden, c[0], 0, n);
      zeroInitialState = false;
    }
    h.write(0, hRow, n);
  }

  /** Copies the state after the last step into rows {@code [row0, row0 + B)} of the given arrays. */
  void lastState(float[] hOut, float[] cOut, int row0) {
    int n = batch * hidden;
    h.read((long) steps * n, hRow, n);
    System.arraycopy(hRow, 0, hOut, row0 * hidden, n);
    System.arraycopy(c[steps], 0, cOut, row0 * hidden, n);
  }

  /** Runs the sequence from the initial state, keeping what {@link #backward} needs. */
  void forward(Params p) {
    final int bt = batch;
    final int hs = hidden;
    final int gates = 4 * hs;
    final int n = bt * hs;
    expandBias(p.bias());
    // Input projection of every step at once: z[(t,b)] = x[(t,b)] W.
    Blas.gemm(false, true, steps * bt, gates, nIn, x.at(0), nIn, p.inputWeights(), nIn, 0f, z.at(0), gates);
    for (int t = 0; t < steps; t++) {
      long zOffset = (long) t * bt * gates;
      if (t > 0 || !zeroInitialState) {
        // z[t] += h[t-1] RW (h slab t holds the state before step t).
        Blas.gemm(false, true, bt, gates, hs, h.at((long) t * n), hs, p.recurrentWeights(), hs, 1f,
            z.at(zOffset), gates);
      }
      z.read(zOffset, zRow, bt * gates);
      for (int b = 0; b < bt; b++) {
        int src = b * gates;
        int dst = b * hs;
        System.arraycopy(zRow, src, zA, dst, hs);
        System.arraycopy(zRow, src + hs, zF, dst, hs);
        System.arraycopy(zRow, src + 2 * hs, zO, dst, hs);
        System.arraycopy(zRow, src + 3 * hs, zG, dst, hs);
      }
      GateMath.tanh(zA, biasA, a[t], n);
      GateMath.sigmoid(zF, biasF, f[t], n);
      GateMath.sigmoid(zO, biasO, o[t], n);
      GateMath.sigmoid(zG, biasG, g[t], n);
      GateMath.cell(f[t], c[t], g[t], a[t], c[t + 1], n);
      GateMath.tanh(c[t + 1], tanhC[t], n);
      GateMath.mul(o[t], tanhC[t], hRow, n);
      h.write((long) (t + 1) * n, hRow, n);
    }
  }

  /**
   * Backpropagates through steps {@code [firstStep, T)} of the last {@link #forward} (truncated BPTT:
   * steps before firstStep get no gradient). Writes the weight gradients, summed over the slice, to
   * gradW (W^T layout [4H][nIn]) and gradRW ([4H][H]), overwriting them; the bias gradient to {@link
   * #biasGradient()}; the input gradient to {@link #inputGradientView()}.
   */
  void backward(Params p, int firstStep, FloatPointer gradW, FloatPointer gradRW) {
    final int bt = batch;
    final int hs = hidden;
    final int gates = 4 * hs;
    final int n = bt * hs;
    Arrays.fill(carry, 0, n, 0f);
    Arrays.fill(sumA, 0, n, 0f);
    Arrays.fill(sumF, 0, n, 0f);
    Arrays.fill(sumO, 0, n, 0f);
    Arrays.fill(sumG, 0, n, 0f);
    for (int t = steps - 1; t >= firstStep; t--) {
      e.read((long) t * n, dh, n);
      if (t < steps - 1) {
        dhRecurrent.read(0, dhRow, n);
        GateMath.add(dh, dhRow, dh, n);
      }
      GateMath.outputGateGrad(dh, tanhC[t], o[t], dO, n);
      GateMath.cellGrad(dh, o[t], tanhC[t], carry, dc, n);
      GateMath.sigmoidGateGrad(dc, c[t], f[t], dF, n);
      GateMath.sigmoidGateGrad(dc, a[t], g[t], dG, n);
      GateMath.blockInputGrad(dc, g[t], a[t], dA, n);
      GateMath.mul(dc, f[t], carry, n);
      GateMath.accumulate(dA, sumA, n);
      GateMath.accumulate(dF, sumF, n);
      GateMath.accumulate(dO, sumO, n);
      GateMath.accumulate(dG, sumG, n);
      for (int b = 0; b < bt; b++) {
        int dst = b * gates;
        int src = b * hs;
        System.arraycopy(dA, src, zRow, dst, hs);
        System.arraycopy(dF, src, zRow, dst + hs, hs);
        System.arraycopy(dO, src, zRow, dst + 2 * hs, hs);
        System.arraycopy(dG, src, zRow, dst + 3 * hs, hs);
      }
      long dzOffset = (long) t * bt * gates;
      dz.write(dzOffset, zRow, bt * gates);
      if (t > firstStep) {
        // Gradient w.r.t. h[t-1] through the recurrent weights: dz[t] RW^T.
        Blas.gemm(false, false, bt, hs, gates, dz.at(dzOffset), gates, p.recurrentWeights(), hs, 0f,
            dhRecurrent.at(0), hs);
      }
    }
    if (firstStep > 0) {
      Arrays.fill(zRow, 0, bt * gates, 0f);
      for (int t = 0; t < firstStep; t++) {
        dz.write((long) t * bt * gates, zRow, bt * gates);
      }
    }
    int rows = steps * bt;
    // Over all steps at once: dW^T = dz^T x, dRW^T = dz^T h[t-1], dx = dz W^T.
    Blas.gemm(true, false, gates, nIn, rows, dz.at(0), gates, x.at(0), nIn, 0f, gradW, nIn);
    Blas.gemm(true, false, gates, hs, rows, dz.at(0), gates, h.at(0), hs, 0f, gradRW, hs);
    Blas.gemm(false, false, rows, nIn, gates, dz.at(0), gates, p.inputWeights(), nIn, 0f, dx.at(0), nIn);
    reduceBias(sumA, 0);
    reduceBias(sumF, hs);
    reduceBias(sumO, 2 * hs);
    reduceBias(sumG, 3 * hs);
  }

  /** The bias gradient [4H] of the last {@link #backward}. */
  float[] biasGradient() {
    return biasGradient;
  }

  /** This shard's own weight-gradient buffers, for shards that must not write the layer's gradient. */
  FloatPointer scratchInputWeightGradient() {
    if (gradInputWeights == null) {
      gradInputWeights = new NativeBuffer(4L * hidden * nIn);
    }
    return gradInputWeights.at(0);
  }

  FloatPointer scratchRecurrentWeightGradient() {
    if (gradRecurrentWeights == null) {
      gradRecurrentWeights = new NativeBuffer(4L * hidden * hidden);
    }
    return gradRecurrentWeights.at(0);
  }

  private void expandBias(float[] bias) {
    int hs = hidden;
    for (int b = 0; b < batch; b++) {
      System.arraycopy(bias, 0, biasA, b * hs, hs);
      System.arraycopy(bias, hs, biasF, b * hs, hs);
      System.arraycopy(bias, 2 * hs, biasO, b * hs, hs);
      System.arraycopy(bias, 3 * hs, biasG, b * hs, hs);
    }
  }

  private void reduceBias(float[] sums, int gateOffset) {
    int hs = hidden;
    for (int j = 0; j < hs; j++) {
      float s = 0f;
      for (int b = 0; b < batch; b++) {
        s += sums[b * hs + j];
      }
      biasGradient[gateOffset + j] = s;
    }
  }
}
