package io.charstream.model;

/**
 * Immutable weights for generation in plain Java arrays, laid out for contiguous inner loops; safe to
 * share between threads (each thread uses its own {@link GenerationBatch}).
 */
public final class GenerationModel {

  private final ModelConfig config;
  private final Vocabulary vocabulary;

  private GenerationModel(ModelConfig config, Vocabulary vocabulary) {
    this.config = config;
    this.vocabulary = vocabulary;
  }

  /** Loads the weights of {@code checkpoint} (its training state, if any, is ignored). */
  public static GenerationModel from(Checkpoint checkpoint) {
    throw new UnsupportedOperationException("generation: not yet implemented");
  }

  public Vocabulary vocabulary() {
    return vocabulary;
  }

  public ModelConfig config() {
    return config;
  }
}
