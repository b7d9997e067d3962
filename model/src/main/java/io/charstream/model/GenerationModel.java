package io.charstream.model;

import java.util.Map;

/**
 * Immutable weights for generation in plain Java arrays, laid out so that every inner loop is a
 * contiguous axpy ({@code y[j] += a * x[j]}) that the JIT vectorises; safe to share between threads
 * (each thread uses its own {@link GenerationBatch}).
 *
 * <p>Each weight row and each slot's vector is its own array, and the axpy indexes both with the same
 * {@code j}: C2 vectorises that loop (about 6x faster here), but not one that indexes two possibly
 * identical arrays at different offsets, which it must assume may overlap.
 *
 * <p>LSTM gates follow DL4J's column order in blocks of H: [z (block input, tanh), f (forget),
 * o (output), i (input)]; c' = f * c + i * z, h' = o * tanh(c').
 */
public final class GenerationModel {

  /** Slots advanced together per pass over a weight matrix: their gate rows (8 x 2 KB) stay in L1. */
  private static final int SLOT_BLOCK = 8;

  private final ModelConfig config;
  private final Vocabulary vocabulary;
  private final int vocab;
  private final int hidden;
  private final int layers;
  /** [vocab][4H]: embedding row times the first LSTM's input weights, plus its bias. */
  private final float[][] firstLayerInput;
  /** Per LSTM layer l >= 1: input weight rows [H][4H] (index 0 unused). */
  private final float[][][] inputWeights;
  /** Per LSTM layer l >= 1: bias [4H] (index 0 unused: folded into firstLayerInput). */
  private final float[][] biases;
  /** Per LSTM layer: recurrent weight rows [H][4H]. */
  private final float[][][] recurrentWeights;
  /** Output layer: weight rows [H][vocab] and bias [vocab]. */
  private final float[][] outputWeights;
  private final float[] outputBias;

  private GenerationModel(ModelConfig config, Vocabulary vocabulary, Map<String, Tensor> weights) {
    this.config = config;
    this.vocabulary = vocabulary;
    this.vocab = config.vocabSize();
    this.hidden = config.rnnSize();
    this.layers = config.numLayers();
    int gates = 4 * hidden;
    int emb = config.embeddingSize();
    float[][] embedding = rows(weight(weights, "0_W", vocab * emb), vocab, emb);
    float[][] w1 = rows(weight(weights, "1_W", emb * gates), emb, gates);
    float[] b1 = weight(weights, "1_b", gates);
    // Embedding has no bias and is linear: project every row through the first LSTM's input weights
    // once, so a step starts from a table row instead of emb axpys.
    firstLayerInput = new float[vocab][];
    for (int v = 0; v < vocab; v++) {
      float[] row = b1.clone();
      for (int k = 0; k < emb; k++) {
        axpy(row, embedding[v][k], w1[k], gates);
      }
      firstLayerInput[v] = row;
    }
    inputWeights = new float[layers][][];
    biases = new float[layers][];
    recurrentWeights = new float[layers][][];
    for (int l = 0; l < layers; l++) {
      int dl4jLayer = l + 1;
      recurrentWeights[l] = rows(weight(weights, dl4jLayer + "_RW", hidden * gates), hidden, gates);
      if (l > 0) {
        inputWeights[l] = rows(weight(weights, dl4jLayer + "_W", hidden * gates), hidden, gates);
        biases[l] = weight(weights, dl4jLayer + "_b", gates);
      }
    }
    int out = layers + 1;
    outputWeights = rows(weight(weights, out + "_W", hidden * vocab), hidden, vocab);
    outputBias = weight(weights, out + "_b", vocab);
  }

  private static float[][] rows(float[] flat, int rows, int cols) {
    float[][] out = new float[rows][];
    for (int r = 0; r < rows; r++) {
      out[r] = java.util.Arrays.copyOfRange(flat, r * cols, (r + 1) * cols);
    }
    return out;
  }

  /** Loads the weights of {@code checkpoint} (its training state, if any, is ignored). */
  public static GenerationModel from(Checkpoint checkpoint) {
    return new GenerationModel(checkpoint.modelConfig(), checkpoint.vocabulary(), checkpoint.weights());
  }

  private static float[] weight(Map<String, Tensor> weights, String name, int expected) {
    Tensor t = weights.get(name);
    if (t == null || t.size() != expected) {
      throw new CheckpointFormatException("checkpoint weight " + name + (t == null ? " is missing"
          : " has " + t.size() + " values, expected " + expected) + ": it does not match its model config");
    }
    return t.data().clone();
  }

  public Vocabulary vocabulary() {
    return vocabulary;
  }

  public ModelConfig config() {
    return config;
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

  /**
   * Advances {@code n} slots by one character.
   *
   * @param slots the slot indices to advance (the first n entries)
   * @param inputs input id per slot index
   * @param h per layer, per slot: hidden state [H], updated in place
   * @param c per layer, per slot: cell state [H], updated in place
   * @param gates scratch per slot [4H]
   * @param logits output per slot [vocab] (written for the given slots), or null to skip the output
   *     layer (priming)
   */
  void step(int[] slots, int n, int[] inputs, float[][][] h, float[][][] c, float[][] gates, float[][] logits) {
    int g = 4 * hidden;
    for (int l = 0; l < layers; l++) {
      float[][] hl = h[l];
      float[][] cl = c[l];
      for (int from = 0; from < n; from += SLOT_BLOCK) {
        int to = Math.min(n, from + SLOT_BLOCK);
        // Pre-activations: bias + input part + recurrent part. Per slot the sums run in the same k
        // order whatever the batch, so batched results are bit-identical to one-at-a-time.
        if (l == 0) {
          for (int i = from; i < to; i++) {
            System.arraycopy(firstLayerInput[inputs[slots[i]]], 0, gates[slots[i]], 0, g);
          }
        } else {
          float[][] below = h[l - 1];
          float[][] w = inputWeights[l];
          for (int i = from; i < to; i++) {
            System.arraycopy(biases[l], 0, gates[slots[i]], 0, g);
          }
          for (int k = 0; k < hidden; k++) {
            for (int i = from; i < to; i++) {
              int s = slots[i];
              axpy(gates[s], below[s][k], w[k], g);
            }
          }
        }
        float[][] rw = recurrentWeights[l];
        for (int k = 0; k < hidden; k++) {
          for (int i = from; i < to; i++) {
            int s = slots[i];
            axpy(gates[s], hl[s][k], rw[k], g);
          }
        }
        for (int i = from; i < to; i++) {
          int s = slots[i];
          cell(gates[s], hl[s], cl[s]);
        }
      }
    }
    if (logits == null) {
      return;
    }
    float[][] top = h[layers - 1];
    for (int from = 0; from < n; from += SLOT_BLOCK) {
      int to = Math.min(n, from + SLOT_BLOCK);
      for (int i = from; i < to; i++) {
        System.arraycopy(outputBias, 0, logits[slots[i]], 0, vocab);
      }
      for (int k = 0; k < hidden; k++) {
        for (int i = from; i < to; i++) {
          int s = slots[i];
          axpy(logits[s], top[s][k], outputWeights[k], vocab);
        }
      }
    }
  }

  /** The LSTM cell from one slot's pre-activations [4H]; updates h [H] and c [H] in place. */
  private void cell(float[] pre, float[] h, float[] c) {
    int hs = hidden;
    for (int j = 0; j < hs; j++) {
      float z = tanh(pre[j]);
      float f = sigmoid(pre[hs + j]);
      float o = sigmoid(pre[2 * hs + j]);
      float in = sigmoid(pre[3 * hs + j]);
      float cell = f * c[j] + in * z;
      c[j] = cell;
      h[j] = o * tanh(cell);
    }
  }

  /**
   * tanh through the exp intrinsic: about 5 ns against Math.tanh's 25 (not an intrinsic in Java 17),
   * equal to it within 1e-15 in double. Saturates to +-1 without NaN (exp overflows to infinity).
   */
  private static float tanh(float x) {
    return (float) (1.0 - 2.0 / (Math.exp(2.0 * x) + 1.0));
  }

  private static float sigmoid(float x) {
    return (float) (1.0 / (1.0 + Math.exp(-x)));
  }

  /** y[j] += a * x[j] for j in [0, n): same index on both arrays, so C2 vectorises it. */
  private static void axpy(float[] y, float a, float[] x, int n) {
    if (a == 0.0f) {
      return;
    }
    for (int j = 0; j < n; j++) {
      y[j] += a * x[j];
    }
  }
}
