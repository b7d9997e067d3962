package io.charstream.schemas.message;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Which free slot a generate request gets first; JSON values {@code "interactive"} (the default)
 * and {@code "batch"}. Interactive requests start before batch ones; batch ones are never starved
 * (the generator's {@code priority.batch-every}).
 */
public enum Priority {
  /** Someone is waiting for it: starts first. */
  @JsonProperty("interactive")
  INTERACTIVE,
  /** Offline work: takes the slots interactive requests leave, and a share while they queue. */
  @JsonProperty("batch")
  BATCH;

  public String json() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
