package io.charstream.model.training;

import io.charstream.model.Checkpoint;
import io.charstream.model.ModelConfig;
import io.charstream.model.TrainingConfig;
import io.charstream.model.TrainingListener;
import io.charstream.model.TrainingResult;
import io.charstream.model.Vocabulary;
import java.util.function.BooleanSupplier;

/**
 * Trains a char-RNN exactly as the reference does: the corpus is cut into batchSize contiguous
 * streams, each batch (batchSize x seqLen) continues where the previous one ended, the LSTM state
 * carries across batches and epochs (streams rotated by one per epoch), Adam, global gradient-norm
 * clipping of the mean per-character loss. {@link #run} is a plain blocking call; run it on your
 * own executor. One trainer is used by one thread at a time.
 */
public final class CharRnnTrainer {

  private final TrainingSession session;

  private CharRnnTrainer(TrainingSession session) {
    this.session = session;
  }

  /** A fresh model, initialised from {@code trainingConfig.seed()}. */
  public static CharRnnTrainer start(
      ModelConfig modelConfig,
      TrainingConfig trainingConfig,
      Vocabulary vocabulary,
      String corpus) {
    return new CharRnnTrainer(
        TrainingSession.fresh(modelConfig, trainingConfig, vocabulary, corpus));
  }

  /**
   * Continues exactly where {@code checkpoint} stopped (weights, Adam state, RNN state, position,
   * RNG), when it holds training state; from its weights at its position otherwise.
   */
  public static CharRnnTrainer resume(Checkpoint checkpoint, String corpus) {
    return new CharRnnTrainer(
        TrainingSession.resume(checkpoint, corpus, checkpoint.trainingConfig()));
  }

  /**
   * Like {@link #resume(Checkpoint, String)} but with another training config (e.g. more epochs).
   */
  public static CharRnnTrainer resume(
      Checkpoint checkpoint, String corpus, TrainingConfig trainingConfig) {
    return new CharRnnTrainer(TrainingSession.resume(checkpoint, corpus, trainingConfig));
  }

  /** Batches per epoch. */
  public int stepsPerEpoch() {
    return session.stepsPerEpoch();
  }

  /**
   * Trains until the last epoch ends or {@code cancelled} returns true (checked between batches).
   *
   * @return how it ended, with a checkpoint of where it stopped
   */
  public TrainingResult run(TrainingListener listener, BooleanSupplier cancelled) {
    return session.run(listener, cancelled);
  }

  /** A checkpoint of the current state (training state included). */
  public Checkpoint checkpoint() {
    return session.checkpoint();
  }
}
