package io.charstream.model;

import java.util.function.BooleanSupplier;

/** The state and loop behind {@link CharRnnTrainer}. */
final class TrainingSession {

  static TrainingSession fresh(ModelConfig modelConfig, TrainingConfig trainingConfig,
      Vocabulary vocabulary, String corpus) {
    throw new UnsupportedOperationException("training: not yet implemented");
  }

  static TrainingSession resume(Checkpoint checkpoint, String corpus, TrainingConfig trainingConfig) {
    throw new UnsupportedOperationException("training: not yet implemented");
  }

  int stepsPerEpoch() {
    throw new UnsupportedOperationException("training: not yet implemented");
  }

  TrainingResult run(TrainingListener listener, BooleanSupplier cancelled) {
    throw new UnsupportedOperationException("training: not yet implemented");
  }

  Checkpoint checkpoint() {
    throw new UnsupportedOperationException("training: not yet implemented");
  }
}
