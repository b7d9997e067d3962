package io.charstream.generator;

import io.charstream.model.generation.GenerationModel;
import io.charstream.model.generation.GenerationStreams;

/** One version of one model, loaded and ready to generate; immutable and shared between threads. */
record LoadedModel(String modelId, long version, GenerationModel model) {

  /**
   * A new batch of {@code capacity} generation slots on this version, owned by the calling thread.
   */
  GenerationStreams newStreams(int capacity) {
    return model.newStreams(capacity);
  }

  /** Identity of the version: a request started on it finishes on it. */
  ModelKey key() {
    return new ModelKey(modelId, version);
  }

  /** A model id and version. */
  record ModelKey(String modelId, long version) {
    @Override
    public String toString() {
      return modelId + "@" + version;
    }
  }
}
