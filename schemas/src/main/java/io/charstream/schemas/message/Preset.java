package io.charstream.schemas.message;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A named training recipe a request can start from; JSON values {@code "reference"}, {@code
 * "recommended"}, {@code "fast"} and {@code "large"}. The recipes' numbers live in the engine
 * ({@code TrainingPreset}, same names), not in the contract: the trainer fills the request's absent
 * {@link TrainingRequest#PRESET_FIELDS} from them.
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
  RECOMMENDED,
  /** A good loss in minutes (2 x LSTM 256, Adam 0.006, cosine to 0.0003, 5 epochs). */
  @JsonProperty("fast")
  FAST,
  /**
   * The best loss in about an hour on two cores (2 x LSTM 448, dropout 0.2, Adam 0.004, cosine to
   * 0.0002, 19 epochs).
   */
  @JsonProperty("large")
  LARGE;

  public String json() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
