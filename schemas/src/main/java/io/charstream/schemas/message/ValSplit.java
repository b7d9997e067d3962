package io.charstream.schemas.message;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Where a training request's held-out validation text comes from; JSON values {@code "tail"} and
 * {@code "blocks"}. The names match the engine's {@code TrainingConfig.ValidationSplit}.
 */
public enum ValSplit {
  /** The last valFraction of the corpus (the reference's split). */
  @JsonProperty("tail")
  TAIL,
  /** The last valFraction of each of batchSize equal blocks of the corpus (char-rnn's split). */
  @JsonProperty("blocks")
  BLOCKS;

  public String json() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
