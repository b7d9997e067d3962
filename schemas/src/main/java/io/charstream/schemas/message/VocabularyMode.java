package io.charstream.schemas.message;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Which vocabulary a model uses; JSON values {@code "reference"} and {@code "learned"}. */
public enum VocabularyMode {
  /** The reference's 98 ids: printable ASCII minus \x0b \x0c \r, id 0 for unknown. */
  @JsonProperty("reference")
  REFERENCE,
  /** The Unicode code points seen in the corpus, id 0 for unknown. */
  @JsonProperty("learned")
  LEARNED;

  public String json() {
    return name().toLowerCase();
  }
}
