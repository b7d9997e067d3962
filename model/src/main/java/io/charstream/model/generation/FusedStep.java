package io.charstream.model.generation;

import io.charstream.model.Checkpoint;
import io.charstream.model.CheckpointFormatException;
import io.charstream.model.ModelConfig;
import io.charstream.model.Tensor;
import io.charstream.model.Vocabulary;
import io.charstream.model.kernel.BlasRows;
import io.charstream.model.kernel.CellVector;
import io.charstream.model.kernel.FusedRuntime;
import io.charstream.model.kernel.GateMath;
import io.charstream.model.kernel.MatVec;
import io.charstream.model.kernel.StepGemm;
import java.util.Map;

/**
 * The engine's {@link GenerationModel}: one generation step of the char-RNN for many streams at
 * once, in plain Java arrays: immutable weights (safe to share between threads) and the arithmetic;
 * {@link FusedGenerationBatch} keeps the per-stream state.
 *
 * <p>The matrix products of a step run on the Java Vector API ({@link StepGemm}: weights packed
 * once, every element one fused multiply-add per k in ascending k, so a row's result never depends
 * on the other rows) when the JVM has the module and the engine allows it; else on OpenBLAS (one
 * GEMM per layer for all streams of a thread) when it passes {@link BlasRows#isBatchInvariant} on
 * this machine; else on plain-Java loops C2 vectorises ({@link MatVec}). The gate arithmetic is one
 * {@link CellVector} pass per row straight from the product on the vector kernel, else {@link
 * GateMath}'s vectorised loops over all streams of the step (the same values). OpenBLAS needs the
 * check because, depending on its kernels (measured: yes with OPENBLAS_CORETYPE=SkylakeX, no with
 * Haswell), it may round a row differently depending on how many rows are multiplied together,
 * which would make a stream's text depend on what else is in the batch. On every kernel each
 * stream's arithmetic is the same sequence of float operations whatever the batch, so batched
 * output equals one-at-a-time output bit for bit. The kernel is chosen once per instance.
 *
 * <p>Numbers: the same network as DL4J's, with {@link GateMath}'s tanh/sigmoid (within 2.5e-7 of
 * the exact functions); the tests compare the probabilities with DL4J's rnnTimeStep (the oracle) on
 * random weights.
 */
public final class FusedStep implements GenerationModel {

  private final ModelConfig config;
  private final Vocabulary vocabulary;
  private final int vocab;
  private final int hidden;
  private final int layers;

  /** [vocab][4H]: embedding row times the first LSTM's input weights, plus its bias. */
  private final float[][] firstLayerInput;

  /**
   * Per LSTM layer, the rows of its weights, each [4H] (DL4J gate order a, f, o, g): layer 0 has
   * its H recurrent rows; layer l >= 1 its H input rows then its H recurrent rows, so that one pass
   * over [h_below; h_own] gives the whole pre-activation.
   */
  private final float[][][] rows;

  /** Per LSTM layer l >= 1: bias [4H] (layer 0's is in firstLayerInput). */
  private final float[][] biases;

  /** Output layer: rows [H][vocab] and bias [vocab]. */
  private final float[][] outputRows;

  private final float[] outputBias;

  /** The same weights packed for the vector kernel, when it runs; else null. */
  private final StepGemm[] vectorRows;

  private final StepGemm vectorOutput;

  /**
   * With the vector kernel: each row's gate arithmetic in one {@link CellVector} pass straight from
   * the product (the same values as {@link GateMath}'s loops), when H fills whole vectors.
   */
  private final boolean vectorCell;

  /** The same weights for OpenBLAS, when it computes rows batch-invariantly here; else null. */
  private final BlasRows[] blasRows;

  private final BlasRows blasOutput;

  private FusedStep(ModelConfig config, Vocabulary vocabulary, Map<String, Tensor> weights) {
    this.config = config;
    this.vocabulary = vocabulary;
    this.vocab = config.vocabSize();
    this.hidden = config.rnnSize();
    this.layers = config.numLayers();
    int gates = 4 * hidden;
    int emb = config.embeddingSize();
    float[][] embedding = rows(weights, "0_W", vocab, emb);
    float[][] w1 = rows(weights, "1_W", emb, gates);
    float[] b1 = rows(weights, "1_b", 1, gates)[0];
    firstLayerInput = new float[vocab][];
    for (int v = 0; v < vocab; v++) {
      float[] row = b1.clone();
      MatVec.accumulate(embedding[v], w1, emb, row, gates);
      firstLayerInput[v] = row;
    }
    rows = new float[layers][][];
    biases = new float[layers][];
    for (int l = 0; l < layers; l++) {
      int dl4jLayer = l + 1;
      float[][] recurrent = rows(weights, dl4jLayer + "_RW", hidden, gates);
      if (l == 0) {
        rows[l] = recurrent;
      } else {
        float[][] input = rows(weights, dl4jLayer + "_W", hidden, gates);
        rows[l] = new float[2 * hidden][];
        System.arraycopy(input, 0, rows[l], 0, hidden);
        System.arraycopy(recurrent, 0, rows[l], hidden, hidden);
        biases[l] = rows(weights, dl4jLayer + "_b", 1, gates)[0];
      }
    }
    int out = layers + 1;
    outputRows = rows(weights, out + "_W", hidden, vocab);
    outputBias = rows(weights, out + "_b", 1, vocab)[0];
    StepGemm[] vector = null;
    StepGemm vectorOut = null;
    if (FusedRuntime.vectorKernels() && StepGemm.supported()) {
      vector = new StepGemm[layers];
      for (int l = 0; l < layers; l++) {
        vector[l] = new StepGemm(rows[l], rows[l].length, gates);
      }
      vectorOut = new StepGemm(outputRows, hidden, vocab);
    }
    vectorRows = vector;
    vectorOutput = vectorOut;
    vectorCell = vector != null && CellVector.supports(hidden);
    BlasRows[] blas = null;
    BlasRows blasOut = null;
    if (vector == null && FusedRuntime.generationBlas()) {
      blas = new BlasRows[layers];
      boolean invariant = true;
      for (int l = 0; l < layers && invariant; l++) {
        blas[l] = new BlasRows(rows[l], rows[l].length, gates);
        invariant = blas[l].isBatchInvariant(l);
      }
      blasOut = new BlasRows(outputRows, hidden, vocab);
      if (!invariant || !blasOut.isBatchInvariant(layers)) {
        blas = null;
        blasOut = null;
      }
    }
    blasRows = blas;
    blasOutput = blasOut;
  }

  /**
   * "vector" when the matrix products run on {@link StepGemm} (the Java Vector API is there and
   * allowed), else "openblas" when they run on OpenBLAS (allowed, and it passed the
   * batch-invariance check on this machine), else "java" (the plain-Java loops; see {@link
   * MatVec}).
   */
  @Override
  public String kernel() {
    return vectorRows != null ? "vector" : blasRows != null ? "openblas" : "java";
  }

  /** The weights of {@code checkpoint} (its training state, if any, is ignored). */
  public static FusedStep from(Checkpoint checkpoint) {
    return new FusedStep(checkpoint.modelConfig(), checkpoint.vocabulary(), checkpoint.weights());
  }

  @Override
  public Vocabulary vocabulary() {
    return vocabulary;
  }

  @Override
  public ModelConfig config() {
    return config;
  }

  @Override
  public GenerationStreams newStreams(int capacity) {
    return new FusedGenerationBatch(this, capacity);
  }

  int vocabSize() {
    return vocab;
  }

  int hiddenSize() {
    return hidden;
  }

  int numLayers() {
    return layers;
  }

  /** A row-major [rows, cols] weight as one array per row. */
  private static float[][] rows(Map<String, Tensor> weights, String name, int rows, int cols) {
    Tensor t = weights.get(name);
    if (t == null || t.size() != rows * cols) {
      throw new CheckpointFormatException(
          "checkpoint weight "
              + name
              + (t == null
                  ? " is missing"
                  : " has " + t.size() + " values, expected " + rows * cols)
              + ": it does not match its model config");
    }
    float[] data = t.data();
    float[][] out = new float[rows][cols];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(data, r * cols, out[r], 0, cols);
    }
    return out;
  }

  /**
   * Advances streams {@code streams[from, to)} by one character: reads {@code input[stream]},
   * updates their state in place, writes {@code logits[stream]} (unless {@code logits} is null,
   * when priming). Streams are independent, so disjoint ranges may run on different threads, each
   * with its own {@link Scratch}.
   */
  void step(
      StepState state, int[] streams, int from, int to, int[] input, float[][] logits, Scratch s) {
    if (vectorRows != null) {
      stepVector(state, streams, from, to, input, logits, s);
      return;
    }
    if (blasRows != null) {
      for (int at = from; at < to; at += BlasRows.MAX_ROWS) {
        stepBlas(state, streams, at, Math.min(to, at + BlasRows.MAX_ROWS), input, logits, s);
      }
      return;
    }
    int gates = 4 * hidden;
    int count = to - from;
    for (int l = 0; l < layers; l++) {
      for (int i = 0; i < count; i++) {
        int stream = streams[from + i];
        if (l == 0) {
          s.x[i] = state.h[0][stream];
          System.arraycopy(firstLayerInput[input[stream]], 0, s.acc[i], 0, gates);
        } else {
          // [h_below; h_own] for the stacked rows of this layer.
          System.arraycopy(state.h[l - 1][stream], 0, s.stacked[i], 0, hidden);
          System.arraycopy(state.h[l][stream], 0, s.stacked[i], hidden, hidden);
          s.x[i] = s.stacked[i];
          System.arraycopy(biases[l], 0, s.acc[i], 0, gates);
        }
      }
      MatVec.accumulate(s.x, 0, rows[l], l == 0 ? hidden : 2 * hidden, s.acc, 0, count, gates);
      for (int i = 0; i < count; i++) {
        gatherGates(s.acc[i], 0, i, s);
      }
      cell(state, l, streams, from, count, s);
    }
    if (logits == null) {
      return;
    }
    for (int i = 0; i < count; i++) {
      int stream = streams[from + i];
      s.x[i] = state.h[layers - 1][stream];
      s.out[i] = logits[stream];
      System.arraycopy(outputBias, 0, s.out[i], 0, vocab);
    }
    MatVec.accumulate(s.x, 0, outputRows, hidden, s.out, 0, count, vocab);
  }

  /**
   * {@link #step} on OpenBLAS for at most {@link BlasRows#MAX_ROWS} streams: the inputs and the
   * initial accumulators (bias, or the first layer's input projection) go straight into the staging
   * rows, and the gates come straight out of them.
   */
  private void stepBlas(
      StepState state, int[] streams, int from, int to, int[] input, float[][] logits, Scratch s) {
    int gates = 4 * hidden;
    int count = to - from;
    float[] a = s.staging.input();
    float[] c = s.staging.output();
    for (int l = 0; l < layers; l++) {
      BlasRows product = blasRows[l];
      int k = l == 0 ? hidden : 2 * hidden;
      int stride = product.stride();
      for (int i = 0; i < count; i++) {
        int stream = streams[from + i];
        if (l == 0) {
          System.arraycopy(state.h[0][stream], 0, a, i * k, hidden);
          System.arraycopy(firstLayerInput[input[stream]], 0, c, i * stride, gates);
        } else {
          System.arraycopy(state.h[l - 1][stream], 0, a, i * k, hidden);
          System.arraycopy(state.h[l][stream], 0, a, i * k + hidden, hidden);
          System.arraycopy(biases[l], 0, c, i * stride, gates);
        }
      }
      product.accumulateStaged(count, s.staging);
      for (int i = 0; i < count; i++) {
        gatherGates(c, i * stride, i, s);
      }
      cell(state, l, streams, from, count, s);
    }
    if (logits == null) {
      return;
    }
    int stride = blasOutput.stride();
    for (int i = 0; i < count; i++) {
      System.arraycopy(state.h[layers - 1][streams[from + i]], 0, a, i * hidden, hidden);
      System.arraycopy(outputBias, 0, c, i * stride, vocab);
    }
    blasOutput.accumulateStaged(count, s.staging);
    for (int i = 0; i < count; i++) {
      System.arraycopy(c, i * stride, logits[streams[from + i]], 0, vocab);
    }
  }

  /**
   * {@link #step} on {@link StepGemm}: the inputs go into its staged A, the initial accumulators
   * (bias, or the first layer's input projection) into its C, and the gates come out of C.
   */
  private void stepVector(
      StepState state, int[] streams, int from, int to, int[] input, float[][] logits, Scratch s) {
    int gates = 4 * hidden;
    int count = to - from;
    float[] a = s.vectorA;
    float[] c = s.vectorC;
    for (int l = 0; l < layers; l++) {
      StepGemm product = vectorRows[l];
      int stride = product.stride();
      for (int i = 0; i < count; i++) {
        int stream = streams[from + i];
        if (l == 0) {
          product.put(a, i, 0, state.h[0][stream], 0, hidden);
          System.arraycopy(firstLayerInput[input[stream]], 0, c, i * stride, gates);
        } else {
          product.put(a, i, 0, state.h[l - 1][stream], 0, hidden);
          product.put(a, i, hidden, state.h[l][stream], 0, hidden);
          System.arraycopy(biases[l], 0, c, i * stride, gates);
        }
      }
      product.accumulate(a, c, count);
      if (vectorCell) {
        for (int i = 0; i < count; i++) {
          int stream = streams[from + i];
          CellVector.row(c, i * stride, hidden, state.c[l][stream], state.h[l][stream]);
        }
      } else {
        for (int i = 0; i < count; i++) {
          gatherGates(c, i * stride, i, s);
        }
        cell(state, l, streams, from, count, s);
      }
    }
    if (logits == null) {
      return;
    }
    int stride = vectorOutput.stride();
    for (int i = 0; i < count; i++) {
      vectorOutput.put(a, i, 0, state.h[layers - 1][streams[from + i]], 0, hidden);
      System.arraycopy(outputBias, 0, c, i * stride, vocab);
    }
    vectorOutput.accumulate(a, c, count);
    for (int i = 0; i < count; i++) {
      System.arraycopy(c, i * stride, logits[streams[from + i]], 0, vocab);
    }
  }

  /** Copies one stream's pre-activations [a f o g] (from {@code src[off]}) into the gate rows. */
  private void gatherGates(float[] src, int off, int i, Scratch s) {
    int hs = hidden;
    int dst = i * hs;
    System.arraycopy(src, off, s.zA, dst, hs);
    System.arraycopy(src, off + hs, s.zF, dst, hs);
    System.arraycopy(src, off + 2 * hs, s.zO, dst, hs);
    System.arraycopy(src, off + 3 * hs, s.zG, dst, hs);
  }

  /**
   * The gate arithmetic of layer l for the given streams (pre-activations already in the gate
   * rows), over all of them in one pass per gate.
   */
  private void cell(StepState state, int l, int[] streams, int from, int count, Scratch s) {
    int hs = hidden;
    int n = count * hs;
    for (int i = 0; i < count; i++) {
      System.arraycopy(state.c[l][streams[from + i]], 0, s.c, i * hs, hs);
    }
    GateMath.tanh(s.zA, s.a, n);
    GateMath.sigmoid(s.zF, s.zero, s.f, n);
    GateMath.sigmoid(s.zO, s.zero, s.o, n);
    GateMath.sigmoid(s.zG, s.zero, s.g, n);
    GateMath.cell(s.f, s.c, s.g, s.a, s.c, n);
    GateMath.tanh(s.c, s.tc, n);
    GateMath.mul(s.o, s.tc, s.h, n);
    for (int i = 0; i < count; i++) {
      int stream = streams[from + i];
      System.arraycopy(s.c, i * hs, state.c[l][stream], 0, hs);
      System.arraycopy(s.h, i * hs, state.h[l][stream], 0, hs);
    }
  }

  /** Per-stream LSTM state: h[layer][stream] and c[layer][stream], each [H]. */
  static final class StepState {
    final float[][][] h;
    final float[][][] c;

    StepState(int layers, int streams, int hidden) {
      h = new float[layers][streams][hidden];
      c = new float[layers][streams][hidden];
    }
  }

  /** Working arrays for up to {@code streams} streams on one thread. */
  static final class Scratch {
    final float[][] acc;
    final float[][] stacked;

    /** References to the input vector / logits row of each stream of the step. */
    final float[][] x;

    final float[][] out;
    final float[] zA;
    final float[] zF;
    final float[] zO;
    final float[] zG;
    final float[] zero;
    final float[] a;
    final float[] f;
    final float[] o;
    final float[] g;
    final float[] c;
    final float[] tc;
    final float[] h;

    /** Staging for the OpenBLAS kernel, null with the others. */
    final BlasRows.Staging staging;

    /** The vector kernel's A and C, null with the others. */
    final float[] vectorA;

    final float[] vectorC;

    Scratch(FusedStep step, int streams) {
      int hs = step.hidden;
      if (step.vectorRows != null) {
        int aSize = step.vectorOutput.aSize(streams);
        int cSize = step.vectorOutput.cSize(streams);
        for (StepGemm g : step.vectorRows) {
          aSize = Math.max(aSize, g.aSize(streams));
          cSize = Math.max(cSize, g.cSize(streams));
        }
        vectorA = new float[aSize];
        vectorC = new float[cSize];
      } else {
        vectorA = null;
        vectorC = null;
      }
      staging =
          step.blasRows == null
              ? null
              : new BlasRows.Staging(step.layers > 1 ? 2 * hs : hs, Math.max(4 * hs, step.vocab));
      // The gate rows of GateMath's passes; CellVector works straight on the product instead.
      int n = step.vectorCell ? 0 : streams * hs;
      // The plain-Java kernel's rows; the others work on their staging instead.
      int javaRows = staging == null && vectorA == null ? streams : 0;
      acc = new float[javaRows][4 * hs];
      stacked = new float[javaRows][2 * hs];
      x = new float[javaRows][];
      out = new float[javaRows][];
      zA = new float[n];
      zF = new float[n];
      zO = new float[n];
      zG = new float[n];
      zero = new float[n];
      a = new float[n];
      f = new float[n];
      o = new float[n];
      g = new float[n];
      c = new float[n];
      tc = new float[n];
      h = new float[n];
    }
  }
}
