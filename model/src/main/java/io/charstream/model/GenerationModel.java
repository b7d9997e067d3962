package io.charstream.model;

import java.util.Map;

/**
 * Immutable weights for generation in plain Java arrays, laid out so that every inner loop is a
 * contiguous axpy ({@code y[0..n) += a * row[0..n)}) that the JIT vectorises; safe to share between
 * threads (each thread uses its own {@link GenerationBatch}).
 *
 * <p>LSTM gates follow DL4J's column order in blocks of H: [z (block input, tanh), f (forget),
 * o (output), i (input)]; c' = f * c + i * z, h' = o * tanh(c').
 */
public final class GenerationModel {

  private final ModelConfig config;
  private final Vocabulary vocabulary;
  private final int vocab;
  private final int hidden;
  private final int layers;
  /** [vocab][4H] row-major: embedding row times the first LSTM's input weights, plus its bias. */
  private final float[] firstLayerInput;
  /** Per LSTM layer l >= 1: input weights [H][4H] row-major (index 0 unused). */
  private final float[][] inputWeights;
  /** Per LSTM layer l >= 1: bias [4H] (index 0 unused: folded into firstLayerInput). */
  private final float[][] biases;
  /** Per LSTM layer: recurrent weights [H][4H] row-major. */
  private final float[][] recurrentWeights;
  /** Output layer: weights [H][vocab] row-major and bias [vocab]. */
  private final float[] outputWeights;
  private final float[] outputBias;

  private GenerationModel(ModelConfig config, Vocabulary vocabulary, Map<String, Tensor> weights) {
    this.config = config;
    this.vocabulary = vocabulary;
    this.vocab = config.vocabSize();
    this.hidden = config.rnnSize();
    this.layers = config.numLayers();
    int gates = 4 * hidden;
    int emb = config.embeddingSize();
    float[] embedding = weight(weights, "0_W", vocab * emb);
    float[] w1 = weight(weights, "1_W", emb * gates);
    float[] b1 = weight(weights, "1_b", gates);
    // Embedding has no bias and is linear: project every row through the first LSTM's input weights
    // once, so a step starts from a table row instead of emb axpys.
    firstLayerInput = new float[vocab * gates];
    for (int v = 0; v < vocab; v++) {
      int out = v * gates;
      System.arraycopy(b1, 0, firstLayerInput, out, gates);
      for (int k = 0; k < emb; k++) {
        axpy(firstLayerInput, out, embedding[v * emb + k], w1, k * gates, gates);
      }
    }
    inputWeights = new float[layers][];
    biases = new float[layers][];
    recurrentWeights = new float[layers][];
    for (int l = 0; l < layers; l++) {
      int dl4jLayer = l + 1;
      recurrentWeights[l] = weight(weights, dl4jLayer + "_RW", hidden * gates);
      if (l > 0) {
        inputWeights[l] = weight(weights, dl4jLayer + "_W", hidden * gates);
        biases[l] = weight(weights, dl4jLayer + "_b", gates);
      }
    }
    int out = layers + 1;
    outputWeights = weight(weights, out + "_W", hidden * vocab);
    outputBias = weight(weights, out + "_b", vocab);
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
   * @param h per layer: hidden state [capacity][H], updated in place
   * @param c per layer: cell state [capacity][H], updated in place
   * @param gates scratch [capacity][4H]
   * @param logits output [capacity][vocab] (written for the given slots), or null to skip the output
   *     layer (priming)
   */
  void step(int[] slots, int n, int[] inputs, float[][] h, float[][] c, float[] gates, float[] logits) {
    int g = 4 * hidden;
    for (int l = 0; l < layers; l++) {
      // Pre-activations: bias + input part. Slot-inner loops keep each weight row hot in L1 while it
      // is applied to every slot; per slot the sums run in the same k order whatever the batch, so
      // batched results are bit-identical to one-at-a-time.
      if (l == 0) {
        for (int i = 0; i < n; i++) {
          int s = slots[i];
          System.arraycopy(firstLayerInput, inputs[s] * g, gates, s * g, g);
        }
      } else {
        float[] below = h[l - 1];
        float[] w = inputWeights[l];
        for (int i = 0; i < n; i++) {
          System.arraycopy(biases[l], 0, gates, slots[i] * g, g);
        }
        for (int k = 0; k < hidden; k++) {
          for (int i = 0; i < n; i++) {
            int s = slots[i];
            axpy(gates, s * g, below[s * hidden + k], w, k * g, g);
          }
        }
      }
      float[] hl = h[l];
      float[] rw = recurrentWeights[l];
      for (int k = 0; k < hidden; k++) {
        for (int i = 0; i < n; i++) {
          int s = slots[i];
          axpy(gates, s * g, hl[s * hidden + k], rw, k * g, g);
        }
      }
      float[] cl = c[l];
      for (int i = 0; i < n; i++) {
        int s = slots[i];
        int base = s * g;
        int st = s * hidden;
        for (int j = 0; j < hidden; j++) {
          float z = (float) Math.tanh(gates[base + j]);
          float f = sigmoid(gates[base + hidden + j]);
          float o = sigmoid(gates[base + 2 * hidden + j]);
          float in = sigmoid(gates[base + 3 * hidden + j]);
          float cell = f * cl[st + j] + in * z;
          cl[st + j] = cell;
          hl[st + j] = o * (float) Math.tanh(cell);
        }
      }
    }
    if (logits == null) {
      return;
    }
    float[] top = h[layers - 1];
    for (int i = 0; i < n; i++) {
      System.arraycopy(outputBias, 0, logits, slots[i] * vocab, vocab);
    }
    for (int k = 0; k < hidden; k++) {
      for (int i = 0; i < n; i++) {
        int s = slots[i];
        axpy(logits, s * vocab, top[s * hidden + k], outputWeights, k * vocab, vocab);
      }
    }
  }

  private static float sigmoid(float x) {
    return (float) (1.0 / (1.0 + Math.exp(-x)));
  }

  /** y[yOff + j] += a * x[xOff + j] for j in [0, n). */
  private static void axpy(float[] y, int yOff, float a, float[] x, int xOff, int n) {
    if (a == 0.0f) {
      return;
    }
    for (int j = 0; j < n; j++) {
      y[yOff + j] += a * x[xOff + j];
    }
  }
}
