package io.charstream.model.layers;

import io.charstream.model.kernel.Blas;
import io.charstream.model.kernel.GateMath;
import io.charstream.model.kernel.LstmVectorKernels;
import io.charstream.model.kernel.NativeBuffer;
import io.charstream.model.kernel.Pointers;
import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The sequential part of the fused LSTM: the recurrence of one layer over a whole sequence for a
 * slice of the batch (rows {@code [row0, row0 + B)}), forward and backward, on the calling thread,
 * with DL4J's gate layout and equations (block input a = tanh, forget f, output o, input gate g =
 * sigmoid; c' = f c + g a; h' = o tanh(c'); no peepholes). {@link FusedLstmLayer} does the rest in
 * large GEMMs over all steps: the input projection before, the weight and input gradients after.
 *
 * <p>Per step, forward: one GEMM adds the recurrent projection h[t-1] RW to the step's rows of the
 * input projection, the gate arithmetic runs in vectorised Java loops ({@link GateMath}), and the
 * new hidden state goes to the layer output. Backward per step: one GEMM for the hidden-state
 * gradient through the recurrent weights, the gate gradients in Java, written to the layer's
 * gate-gradient buffer.
 *
 * <p>Layouts, all row-major with rows (t, b) = t * mb + b over the whole batch of mb: gates [T, mb,
 * 4H] (native; pre-activations forward, their gradients backward), output and epsilon [T, mb, H]
 * (native, the layer's output array and the gradient w.r.t. it), initial state [mb, H]. A slice's
 * rows of one step are adjacent, so each is one JNI copy. Java arrays keep one step each, [B * H]
 * row-major [b][j], one per gate so that every loop indexes its arrays alike. RW is passed as DL4J
 * keeps it, column-major [H, 4H] = row-major RW^T [4H][H].
 *
 * <p>Not thread-safe; each shard is driven by one thread at a time.
 */
final class LstmShard {

  /** Native addresses of the layer's buffers for one pass (see the class comment for layouts). */
  record Buffers(long gates, long output, long epsilon, long initialHidden, int mb) {}

  /**
   * The layer's Java arrays for one pass on the vector kernels, rows (t, b) = t * mb + b: gates [T,
   * mb, 4H] (pre-activations forward, their gradients backward), hidden [T + 1, mb, H] with the
   * initial state first (row t * mb + b holds h[t - 1] of stream b), epsilon [T, mb, H]. When the
   * layer folds an embedding into its input projection ({@link EmbeddingLookup}), the forward pass
   * reads row (t, b)'s x W as row {@code ids[t * mb + b]} of {@code inputTable} [vocab][4H] instead
   * of from {@code gates}, and the backward pass sums its gate gradients by id ({@link
   * #tableGradient}); otherwise those two are null.
   */
  record Values(
      float[] gates, float[] hidden, float[] epsilon, int mb, float[] inputTable, int[] ids) {

    Values(float[] gates, float[] hidden, float[] epsilon, int mb) {
      this(gates, hidden, epsilon, mb, null, null);
    }
  }

  private final int hidden;
  private int batch;
  private int steps;
  private int row0;
  private int capacityBatch;
  private int capacitySteps;
  private boolean zeroInitialState;

  private NativeBuffer dhRecurrent;

  private float[] tableGradient = new float[0];

  // Per step [B * H]: gate activations, tanh of the cell; cell states c[0] (initial) .. c[T].
  private float[][] a;
  private float[][] f;
  private float[][] o;
  private float[][] g;
  private float[][] tanhC;
  private float[][] c;

  // Scratch, [B * 4H] or [B * H].
  private float[] zRow;
  private float[] zNext;
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

  LstmShard(int hidden) {
    this.hidden = hidden;
    this.biasGradient = new float[4 * hidden];
  }

  /**
   * Sets the slice (rows {@code [row0, row0 + batch)} of the layer's batch) and the sequence length
   * of the next pass, growing the buffers if needed.
   */
  void resize(int row0, int batch, int steps) {
    if (batch < 1 || steps < 1) {
      throw new IllegalArgumentException(
          "batch and steps must be >= 1, got " + batch + ", " + steps);
    }
    this.row0 = row0;
    this.batch = batch;
    this.steps = steps;
    if (batch > capacityBatch) {
      capacityBatch = batch;
      int n = Math.multiplyExact(batch, hidden);
      dhRecurrent = new NativeBuffer(n);
      zRow = new float[4 * n];
      zNext = new float[4 * n];
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
      capacitySteps = 0; // the per-step arrays depend on the batch too
    }
    if (steps > capacitySteps) {
      capacitySteps = steps;
      int n = capacityBatch * hidden;
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
   * Sets the initial cell state: this slice's rows of a [mb * H] row-major array, or zeros (null).
   */
  void setInitialState(float[] c0, boolean zeroState) {
    int n = batch * hidden;
    if (zeroState) {
      Arrays.fill(c[0], 0, n, 0f);
    } else {
      System.arraycopy(c0, row0 * hidden, c[0], 0, n);
    }
    zeroInitialState = zeroState;
  }

  /** Copies the cell state after the last step into this slice's rows of a [mb * H] array. */
  void lastCellState(float[] cOut) {
    System.arraycopy(c[steps], 0, cOut, row0 * hidden, batch * hidden);
  }

  /**
   * Runs the recurrence: on entry the gate buffer holds the input projection x W of every row; on
   * exit the output holds h of every step of this slice, and this shard keeps what {@link
   * #backward} needs.
   */
  void forward(long recurrentWeights, float[] bias, Buffers buffers) {
    final int bt = batch;
    final int hs = hidden;
    final int gates = 4 * hs;
    final int n = bt * hs;
    final long mb = buffers.mb();
    expandBias(bias);
    FloatPointer rw = Pointers.at(recurrentWeights);
    for (int t = 0; t < steps; t++) {
      long rowOffset = t * mb + row0;
      FloatPointer z = Pointers.at(buffers.gates() + 4L * rowOffset * gates);
      if (t > 0 || !zeroInitialState) {
        // z[t] += h[t-1] RW.
        long previous =
            t == 0
                ? buffers.initialHidden() + 4L * row0 * hs
                : buffers.output() + 4L * (rowOffset - mb) * hs;
        Blas.gemm(false, true, bt, gates, hs, Pointers.at(previous), hs, rw, hs, 1f, z, gates);
      }
      z.get(zRow, 0, bt * gates);
      gatesAndCell(t, hRow);
      Pointers.at(buffers.output() + 4L * rowOffset * hs).put(hRow, 0, n);
    }
  }

  /**
   * Backpropagates through steps {@code [firstStep, T)} of the last {@link #forward} (truncated
   * BPTT: earlier steps get zero gradients): reads the epsilon rows, writes the gate-gradient rows
   * of every step of this slice, and sums the bias gradient ({@link #biasGradient()}).
   */
  void backward(long recurrentWeights, int firstStep, Buffers buffers) {
    final int bt = batch;
    final int hs = hidden;
    final int gates = 4 * hs;
    final int n = bt * hs;
    final long mb = buffers.mb();
    FloatPointer rw = Pointers.at(recurrentWeights);
    FloatPointer dhNative = dhRecurrent.at(0);
    clearGradientSums();
    for (int t = steps - 1; t >= firstStep; t--) {
      long rowOffset = t * mb + row0;
      Pointers.at(buffers.epsilon() + 4L * rowOffset * hs).get(dh, 0, n);
      if (t < steps - 1) {
        // The gradient reaching h[t] through the recurrent weights: dz[t+1] RW^T.
        Blas.gemm(
            false,
            false,
            bt,
            hs,
            gates,
            Pointers.at(buffers.gates() + 4L * (rowOffset + mb) * gates),
            gates,
            rw,
            hs,
            0f,
            dhNative,
            hs);
        dhRecurrent.read(0, dhRow, n);
        GateMath.add(dh, dhRow, dh, n);
      }
      gateGradients(t, dh, zRow);
      Pointers.at(buffers.gates() + 4L * rowOffset * gates).put(zRow, 0, bt * gates);
    }
    if (firstStep > 0) {
      Arrays.fill(zRow, 0, bt * gates, 0f);
      for (int t = 0; t < firstStep; t++) {
        Pointers.at(buffers.gates() + 4L * (t * mb + row0) * gates).put(zRow, 0, bt * gates);
      }
    }
    reduceBiasSums();
  }

  /**
   * As {@link #forward(long, float[], Buffers)} on the layer's Java arrays, each step's recurrent
   * projection in {@link LstmVectorKernels#recurrentProjection} on RW packed by {@link
   * LstmVectorKernels#packRecurrent}: on entry {@code values.gates()} (or the input table, see
   * {@link Values}) holds x W of every row and {@code values.hidden()} the initial state; on exit
   * the hidden array holds h of every step of this slice.
   */
  void forward(float[] packed, float[] bias, Values values) {
    final int hs = hidden;
    final int gates = 4 * hs;
    final int n = batch * hs;
    final int mb = values.mb();
    float[] hiddenValues = values.hidden();
    expandBias(bias);
    for (int t = 0; t < steps; t++) {
      int row = t * mb + row0;
      if (values.inputTable() == null) {
        System.arraycopy(values.gates(), row * gates, zRow, 0, batch * gates);
      } else {
        for (int b = 0; b < batch; b++) {
          System.arraycopy(
              values.inputTable(), values.ids()[row + b] * gates, zRow, b * gates, gates);
        }
      }
      if (t > 0 || !zeroInitialState) {
        LstmVectorKernels.recurrentProjection(zRow, packed, hiddenValues, row * hs, batch, hs);
      }
      gatesAndCell(t, hRow);
      System.arraycopy(hRow, 0, hiddenValues, (row + mb) * hs, n);
    }
  }

  /** From the pre-activations in zRow (bias not yet added): the gates, c[t + 1] and h. */
  private void gatesAndCell(int t, float[] h) {
    final int hs = hidden;
    final int gates = 4 * hs;
    final int n = batch * hs;
    for (int b = 0; b < batch; b++) {
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
    GateMath.mul(o[t], tanhC[t], h, n);
  }

  /** Sums each gate's per-example bias gradients over this slice into {@link #biasGradient()}. */
  private void reduceBiasSums() {
    reduceBias(sumA, 0);
    reduceBias(sumF, hidden);
    reduceBias(sumO, 2 * hidden);
    reduceBias(sumG, 3 * hidden);
  }

  /** Zeroes the carried cell gradient and the bias-gradient sums before a backward pass. */
  private void clearGradientSums() {
    int n = batch * hidden;
    Arrays.fill(carry, 0, n, 0f);
    Arrays.fill(sumA, 0, n, 0f);
    Arrays.fill(sumF, 0, n, 0f);
    Arrays.fill(sumO, 0, n, 0f);
    Arrays.fill(sumG, 0, n, 0f);
  }

  /**
   * Step t's gate gradients from dh, the whole gradient reaching h[t]: writes them into {@code dz}
   * one row of four gates per example (DL4J's layout), carries the cell gradient to step t - 1 and
   * adds them to the bias-gradient sums.
   */
  private void gateGradients(int t, float[] dh, float[] dz) {
    final int hs = hidden;
    final int gates = 4 * hs;
    final int n = batch * hs;
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
    for (int b = 0; b < batch; b++) {
      int dst = b * gates;
      int src = b * hs;
      System.arraycopy(dA, src, dz, dst, hs);
      System.arraycopy(dF, src, dz, dst + hs, hs);
      System.arraycopy(dO, src, dz, dst + 2 * hs, hs);
      System.arraycopy(dG, src, dz, dst + 3 * hs, hs);
    }
  }

  /**
   * As {@link #backward(long, int, Buffers)} on the layer's Java arrays (see {@link
   * #forward(float[], float[], Values)}), the gradient through the recurrent weights in {@link
   * LstmVectorKernels#recurrentGradient} on RW^T [4H][H]: writes the gate-gradient rows of every
   * step of this slice into {@code values.gates()}.
   */
  void backward(float[] rwt, int firstStep, Values values) {
    final int bt = batch;
    final int hs = hidden;
    final int gates = 4 * hs;
    final int n = bt * hs;
    final int mb = values.mb();
    clearGradientSums();
    int[] ids = values.ids();
    if (ids != null) {
      int size = values.inputTable().length;
      if (tableGradient.length != size) {
        tableGradient = new float[size];
      } else {
        Arrays.fill(tableGradient, 0f);
      }
    }
    float[] dzThis = zRow;
    float[] dzLater = zNext;
    for (int t = steps - 1; t >= firstStep; t--) {
      int row = t * mb + row0;
      System.arraycopy(values.epsilon(), row * hs, dh, 0, n);
      float[] dhTotal = dh;
      if (t < steps - 1) {
        // dh[t] += dz[t+1] RW^T: the gradient reaching h[t] through the recurrent weights.
        LstmVectorKernels.recurrentGradient(dh, dzLater, rwt, bt, hs, dhRow);
        dhTotal = dhRow;
      }
      gateGradients(t, dhTotal, dzThis);
      System.arraycopy(dzThis, 0, values.gates(), row * gates, bt * gates);
      if (ids != null) {
        LstmVectorKernels.addRowsById(dzThis, ids, row, bt, tableGradient, gates);
      }
      float[] swap = dzLater;
      dzLater = dzThis;
      dzThis = swap;
    }
    for (int t = 0; t < firstStep; t++) {
      int from = (t * mb + row0) * gates;
      Arrays.fill(values.gates(), from, from + bt * gates, 0f);
    }
    reduceBiasSums();
  }

  /**
   * The input table's gradient [vocab][4H] of the last {@link #backward} on a folded embedding (see
   * {@link Values}): this slice's gate-gradient rows summed by id, steps in descending order.
   */
  float[] tableGradient() {
    return tableGradient;
  }

  /** The bias gradient [4H] of the last {@link #backward}. */
  float[] biasGradient() {
    return biasGradient;
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
