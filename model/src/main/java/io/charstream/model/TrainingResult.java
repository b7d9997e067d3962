package io.charstream.model;

/**
 * How {@link CharRnnTrainer#run} ended.
 *
 * @param cancelled true when the cancel signal stopped training before the last epoch ended
 * @param checkpoint where training stopped (training state included), to resume from
 * @param lastEpoch the last finished epoch's result, or null when none finished in this run
 */
public record TrainingResult(
    boolean cancelled, Checkpoint checkpoint, EpochResult lastEpoch, double durationSeconds) {}
