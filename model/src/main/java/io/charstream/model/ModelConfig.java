package io.charstream.model;

/**
 * The network's shape: Embedding(vocabSize -> embeddingSize, no bias) -> LSTM(rnnSize) x numLayers
 * -> Dense(vocabSize) + softmax. Dropout (dropRate) applies to the embedding output and to each
 * LSTM's output during training, as in the reference's PyTorch model.
 */
public record ModelConfig(
    int vocabSize, int embeddingSize, int rnnSize, int numLayers, double dropRate) {

  public static final int DEFAULT_EMBEDDING_SIZE = 32;
  public static final int DEFAULT_RNN_SIZE = 128;
  public static final int DEFAULT_NUM_LAYERS = 2;
  public static final double DEFAULT_DROP_RATE = 0.0;

  public ModelConfig {
    requireRange("vocabSize", vocabSize, 2, 1 << 20);
    requireRange("embeddingSize", embeddingSize, 1, 1 << 14);
    requireRange("rnnSize", rnnSize, 1, 1 << 14);
    requireRange("numLayers", numLayers, 1, 64);
    if (!(dropRate >= 0.0 && dropRate < 1.0)) {
      throw new IllegalArgumentException("dropRate must be in [0, 1), got " + dropRate);
    }
  }

  /** The reference's defaults for a vocabulary of {@code vocabSize} ids. */
  public static ModelConfig defaults(int vocabSize) {
    return new ModelConfig(
        vocabSize, DEFAULT_EMBEDDING_SIZE, DEFAULT_RNN_SIZE, DEFAULT_NUM_LAYERS, DEFAULT_DROP_RATE);
  }

  /** 229,794 at the defaults with the reference vocabulary of 98 ids (one bias per LSTM gate). */
  public long parameterCount() {
    long embedding = (long) vocabSize * embeddingSize;
    long lstm = 0;
    for (int layer = 0; layer < numLayers; layer++) {
      long in = layer == 0 ? embeddingSize : rnnSize;
      lstm += 4L * rnnSize * (in + rnnSize + 1);
    }
    long dense = (long) rnnSize * vocabSize + vocabSize;
    return embedding + lstm + dense;
  }

  static void requireRange(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "], got " + value);
    }
  }
}
