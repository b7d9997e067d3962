package io.charstream.model;

/**
 * Training progress, reported at least every few seconds and at each epoch end.
 *
 * @param epoch 1-based epoch in progress
 * @param step batches done in this epoch (1..stepsPerEpoch)
 * @param globalStep batches done since the start of training
 * @param loss mean per-character cross entropy (nats) of this epoch's batches so far
 * @param charsPerSecond training characters per second over the recent batches
 * @param etaSeconds estimated seconds until the last epoch ends
 */
public record Progress(
    int epoch,
    int numEpochs,
    int step,
    int stepsPerEpoch,
    long globalStep,
    double loss,
    double charsPerSecond,
    double etaSeconds) {}
