package io.charstream.model.generation;

import io.charstream.model.Checkpoint;
import io.charstream.model.ModelConfig;
import io.charstream.model.Vocabulary;

/**
 * The weights of one checkpoint, ready to generate: immutable and shared between threads; each
 * thread generates on its own {@link GenerationStreams}.
 */
public interface GenerationModel {

  /** The engine's generation model for the checkpoint's weights (its training state is ignored). */
  static GenerationModel from(Checkpoint checkpoint) {
    return FusedStep.from(checkpoint);
  }

  ModelConfig config();

  Vocabulary vocabulary();

  /** A new batch of {@code capacity} free slots on these weights, owned by the calling thread. */
  GenerationStreams newStreams(int capacity);

  /** The kernel of the step's matrix products, for benchmark reports: "openblas" or "java". */
  String kernel();
}
