package io.charstream.model;

/**
 * One finished epoch, as the reference logs it plus the validation loss and a short sample.
 *
 * @param epoch 1-based
 * @param trainLoss mean per-character cross entropy (nats) over the epoch's batches
 * @param valLoss mean per-character cross entropy over the held-out text (NaN without one)
 * @param samplePrompt the seed text of the sample (a random substring of the corpus)
 * @param sample generated continuation of samplePrompt
 */
public record EpochResult(
    int epoch,
    int numEpochs,
    double durationSeconds,
    double trainLoss,
    double valLoss,
    long globalStep,
    String samplePrompt,
    String sample) {

  /** The reference's log line, e.g. {@code epoch: 1, duration: 55s, loss: 2.87.} plus val loss. */
  public String logLine() {
    String line =
        String.format(
            java.util.Locale.ROOT,
            "epoch: %d, duration: %ds, loss: %.6g.",
            epoch,
            (long) durationSeconds,
            trainLoss);
    return Double.isNaN(valLoss)
        ? line
        : line + String.format(java.util.Locale.ROOT, " val loss: %.6g.", valLoss);
  }
}
