package io.charstream.model.fused;

import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The fused LSTM kernel: one layer's forward and backward pass over a whole sequence for a slice of
 * the batch (rows {@code [row0, row0 + B)}), on the calling thread, with DL4J's gate layout and
 * equations (block input a = tanh, forget f, output o, input gate g = sigmoid; c' = f c + g a;
 * h' = o tanh(c'); no peepholes).
 *
 * <p>Per step, forward: two GEMMs (input projection, recurrent projection) into a [B, 4H] scratch,
 * the gate arithmetic in vectorised Java loops ({@link GateMath}), the new hidden state written to
 * the layer output. Backward per step: the hidden-state gradient (recurrent GEMM plus the incoming
 * gradient, added by a GEMM with the identity so that any stride layout of it works), the gate
 * gradients in Java, the input gradient by one GEMM straight into the layer's input-gradient array;
 * after the loop, the recurrent-weight gradient of all steps in one GEMM and the input-weight
 * gradient by one GEMM per step (the input array's rows need not be uniform across steps). The
 * ND4J arrays at the layer boundary are read and written in place through {@link Sequence}; nothing
 * is allocated per call once the buffers have their size.
 *
 * <p>Own buffers, row-major, rows (t, b) = t * B + b: native h [T + 1, B, H] (slab 0 the initial
 * state), dz [T, B, 4H] (gradient w.r.t. gate pre-activations); Java arrays per step [B * H]
 * row-major [b][j], one per gate so that every loop indexes its arrays alike. DL4J's weights are
 * column-major W [nIn, 4H] and RW [H, 4H], i.e. row-major W^T [4H][nIn] and RW^T [4H][H], which is
 * how they are given to BLAS.
 *
 * <p>Not thread-safe; each shard is driven by one thread at a time.
 */
final class LstmShard {

  /** Read-only weights of one layer: native W^T [4H][nIn], RW^T [4H][H] addresses, bias [4H]. */
  record Params(long inputWeights, long recurrentWeights, float[] bias) {}

  private final int nIn;
  private final int hidden;
  private int batch;
  private int steps;
  private int row0;
  private int capacityBatch;
  private int capacitySteps;
  private boolean zeroInitialState;
  private int identityBatch;

  private NativeBuffer h;
  private NativeBuffer dz;
  private NativeBuffer scratch;
  private NativeBuffer identity;
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

  /**
   * Sets the slice (rows {@code [row0, row0 + batch)} of the layer's batch) and the sequence length
   * of the next pass, growing the buffers if needed.
   */
  void resize(int row0, int batch, int steps) {
    if (batch < 1 || steps < 1) {
      throw new IllegalArgumentException("batch and steps must be >= 1, got " + batch + ", " + steps);
    }
    this.row0 = row0;
    this.batch = batch;
    this.steps = steps;
    if (batch > capacityBatch) {
      capacityBatch = batch;
      int n = Math.multiplyExact(batch, hidden);
      scratch = new NativeBuffer(4L * n);
      identity = new NativeBuffer((long) batch * batch);
      identityBatch = 0;
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
      capacitySteps = 0; // the per-step arrays depend on the batch too
    }
    if (steps > capacitySteps) {
      capacitySteps = steps;
      int n = capacityBatch * hidden;
      long rows = (long) capacityBatch * steps;
      h = new NativeBuffer(rows * hidden + n);
      dz = new NativeBuffer(rows * 4L * hidden);
      a = new float[steps][n];
      f = new float[steps][n];
      o = new float[steps][n];
      g = new float[steps][n];
      tanhC = new float[steps][n];
      c = new float[steps + 1][n];
    }
  }

  int batch() {
    return batch;
  }

  int row0() {
    return row0;
  }

  /**
   * Sets the state the sequence starts from: this slice's rows of {@code [mb * H]} row-major arrays,
   * or zeros when both are null.
   */
  void setInitialState(float[] h0, float[] c0) {
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

  /** Copies the state after the last step into this slice's rows of the given [mb * H] arrays. */
  void lastState(float[] hOut, float[] cOut) {
    int n = batch * hidden;
    h.read((long) steps * n, hRow, n);
    System.arraycopy(hRow, 0, hOut, row0 * hidden, n);
    System.arraycopy(c[steps], 0, cOut, row0 * hidden, n);
  }

  /**
   * Runs the sequence from the initial state, keeping what {@link #backward} needs.
   *
   * @param input the layer input [mb, nIn, T]
   * @param output the layer output [mb, H, T], with {@code feature == 1} and rows adjacent (batch == H)
   */
  void forward(Params p, Sequence input, Sequence output) {
    final int bt = batch;
    final int hs = hidden;
    final int gates = 4 * hs;
    final int n = bt * hs;
    expandBias(p.bias());
    FloatPointer w = Pointers.at(p.inputWeights());
    FloatPointer rw = Pointers.at(p.recurrentWeights());
    FloatPointer z = scratch.at(0);
    for (int t = 0; t < steps; t++) {
      // z = x[t] W + h[t-1] RW (h slab t holds the state before step t).
      Blas.gemm(input.transposed(), true, bt, gates, nIn, input.at(t, row0), input.leadingDimension(),
          w, nIn, 0f, z, gates);
      if (t > 0 || !zeroInitialState) {
        Blas.gemm(false, true, bt, gates, hs, h.at((long) t * n), hs, rw, hs, 1f, z, gates);
      }
      scratch.read(0, zRow, bt * gates);
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
      output.at(t, row0).put(hRow, 0, n);
    }
  }

  /**
   * Backpropagates through steps {@code [firstStep, T)} of the last {@link #forward} (truncated BPTT:
   * steps before firstStep get no gradient and pass none on).
   *
   * @param input the layer input the forward pass ran on
   * @param epsilon the loss gradient w.r.t. the layer output [mb, H, T]
   * @param inputGradient where the gradient w.r.t. the input goes, [mb, nIn, T], with {@code feature
   *     == 1} and rows adjacent (batch == nIn)
   * @param gradW receives the input-weight gradient summed over this slice, W^T layout [4H][nIn]
   * @param gradRW receives the recurrent-weight gradient, [4H][H]
   */
  void backward(Params p, int firstStep, Sequence input, Sequence epsilon, Sequence inputGradient,
      FloatPointer gradW, FloatPointer gradRW) {
    final int bt = batch;
    final int hs = hidden;
    final int gates = 4 * hs;
    final int n = bt * hs;
    FloatPointer w = Pointers.at(p.inputWeights());
    FloatPointer rw = Pointers.at(p.recurrentWeights());
    FloatPointer eye = identity();
    FloatPointer dhNative = scratch.at(0);
    Arrays.fill(carry, 0, n, 0f);
    Arrays.fill(sumA, 0, n, 0f);
    Arrays.fill(sumF, 0, n, 0f);
    Arrays.fill(sumO, 0, n, 0f);
    Arrays.fill(sumG, 0, n, 0f);
    for (int t = steps - 1; t >= firstStep; t--) {
      // dh = dz[t+1] RW^T + epsilon[t]; the identity GEMM reads epsilon in whatever layout it has.
      boolean last = t == steps - 1;
      if (!last) {
        Blas.gemm(false, false, bt, hs, gates, dz.at((long) (t + 1) * bt * gates), gates, rw, hs, 0f,
            dhNative, hs);
      }
      Blas.gemm(false, epsilon.transposed(), bt, hs, bt, eye, bt, epsilon.at(t, row0),
          epsilon.leadingDimension(), last ? 0f : 1f, dhNative, hs);
      scratch.read(0, dh, n);
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
      // The input gradient of this step: dz[t] W^T.
      Blas.gemm(false, false, bt, nIn, gates, dz.at(dzOffset), gates, w, nIn, 0f,
          inputGradient.at(t, row0), Math.toIntExact(inputGradient.batch()));
    }
    if (firstStep > 0) {
      float[] zeros = new float[bt * nIn];
      for (int t = 0; t < firstStep; t++) {
        inputGradient.at(t, row0).put(zeros, 0, zeros.length);
      }
    }
    int rows = (steps - firstStep) * bt;
    long first = (long) firstStep * bt;
    // dRW^T = dz^T h[t-1] over all steps at once; dW^T = sum_t dz[t]^T x[t], one GEMM per step.
    Blas.gemm(true, false, gates, hs, rows, dz.at(first * gates), gates, h.at(first * hs), hs, 0f, gradRW, hs);
    for (int t = firstStep; t < steps; t++) {
      Blas.gemm(true, input.transposed(), gates, nIn, bt, dz.at((long) t * bt * gates), gates,
          input.at(t, row0), input.leadingDimension(), t == firstStep ? 0f : 1f, gradW, nIn);
    }
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

  /** The [B, B] identity matrix. */
  private FloatPointer identity() {
    if (identityBatch != batch) {
      float[] eye = new float[batch * batch];
      for (int i = 0; i < batch; i++) {
        eye[i * batch + i] = 1f;
      }
      identity.write(0, eye, eye.length);
      identityBatch = batch;
    }
    return identity.at(0);
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
