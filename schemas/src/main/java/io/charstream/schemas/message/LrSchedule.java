package io.charstream.schemas.message;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a training request's learning rate moves over the run; JSON values {@code "constant"} and
 * {@code "cosine"}. The names match the engine's {@code TrainingConfig.LearningRateSchedule}.
 */
public enum LrSchedule {
  /** learningRate at every step (the reference's). */
  @JsonProperty("constant")
  CONSTANT,
  /** Half a cosine from learningRate at the first step to finalLearningRate at the last. */
  @JsonProperty("cosine")
  COSINE;

  public String json() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
