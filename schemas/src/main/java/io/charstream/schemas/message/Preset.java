package io.charstream.schemas.message;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A named training recipe a request can start from; JSON values {@code "reference"} and {@code
 * "recommended"}. The recipes' numbers live in the engine ({@code TrainingPreset}, same names), not
 * in the contract: the trainer fills the request's absent {@link TrainingRequest#PRESET_FIELDS}
 * from them.
 */
public enum Preset {
  /** The reference's defaults: what a request without a preset gets. */
  @JsonProperty("reference")
  REFERENCE,
  /**
   * The recipe of charstream's benchmark table (2 x LSTM 256, dropout 0.05, Adam 0.003, cosine to
   * 0.00015).
   */
  @JsonProperty("recommended")
  RECOMMENDED;

  public String json() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
