package io.charstream.model.training;

/**
 * The reference's batching: the encoded training text is cut into {@code batchSize} contiguous
 * streams of {@code stepsPerEpoch * seqLen} characters; batch j of an epoch holds columns [j *
 * seqLen, (j + 1) * seqLen) of every stream, so each batch continues where the previous one ended
 * and the LSTM state can carry over. In epoch e the streams are rotated by e (row r reads stream (r
 * + e) mod batchSize), so the state carried out of the last batch meets the next stream's start.
 */
final class StreamBatches {

  private final int[] ids;
  private final int batchSize;
  private final int seqLen;
  private final int stepsPerEpoch;
  private final int streamLength;

  StreamBatches(int[] ids, int batchSize, int seqLen) {
    this.ids = ids;
    this.batchSize = batchSize;
    this.seqLen = seqLen;
    // The target of the last input character is the next one, hence length - 1.
    long steps = (ids.length - 1L) / ((long) batchSize * seqLen);
    if (steps == 0) {
      throw new IllegalArgumentException(
          "the training text has "
              + ids.length
              + " characters, too few for"
              + " one batch of "
              + batchSize
              + " x "
              + seqLen
              + " (+1): use a smaller --batch-size or --seq-len,"
              + " or a longer text");
    }
    this.stepsPerEpoch = Math.toIntExact(steps);
    this.streamLength = stepsPerEpoch * seqLen;
  }

  int stepsPerEpoch() {
    return stepsPerEpoch;
  }

  int batchSize() {
    return batchSize;
  }

  int seqLen() {
    return seqLen;
  }

  /** Characters trained per epoch. */
  long charsPerEpoch() {
    return (long) stepsPerEpoch * batchSize * seqLen;
  }

  /**
   * Fills one batch.
   *
   * @param features [batchSize * seqLen] input ids, row-major [batch, time]
   * @param labels [batchSize * seqLen] target ids (the next character), row-major [batch, time]
   */
  void fill(int epoch, int batch, float[] features, float[] labels) {
    int column = batch * seqLen;
    for (int row = 0; row < batchSize; row++) {
      int stream = (int) ((row + (long) epoch) % batchSize);
      int start = stream * streamLength + column;
      for (int t = 0; t < seqLen; t++) {
        features[row * seqLen + t] = ids[start + t];
        labels[row * seqLen + t] = ids[start + t + 1];
      }
    }
  }
}
