package io.charstream.model;

/**
 * Figures of one finished epoch: mean per-character cross entropy (nats) over the epoch's training
 * batches, and over the held-out validation text (NaN when there is none).
 *
 * @param epoch 1-based epoch number
 * @param globalStep batches trained since the start, after this epoch
 */
public record Metrics(
    int epoch, long globalStep, double trainLoss, double valLoss, double durationSeconds) {}
