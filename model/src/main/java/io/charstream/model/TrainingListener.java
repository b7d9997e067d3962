package io.charstream.model;

/**
 * Callbacks from {@link CharRnnTrainer#run}, on the training thread, between batches. Keep them
 * quick: training waits for them.
 */
public interface TrainingListener {

  TrainingListener NONE = new TrainingListener() {};

  /** Once, before the first batch. */
  default void onCorpusReport(CorpusReport report) {}

  /** At least every few seconds, and after the last batch of each epoch. */
  default void onProgress(Progress progress) {}

  /** After each epoch, with the checkpoint (training state included) taken at its end. */
  default void onEpochEnd(EpochResult result, Checkpoint checkpoint) {}

  /** Inside an epoch, every {@link TrainingConfig#checkpointEverySteps()} batches, when set. */
  default void onCheckpoint(Checkpoint checkpoint) {}
}
