package io.charstream.schemas.message;

import io.charstream.schemas.json.Checks;

/**
 * Stops a training job, on {@code charstream.training-control} keyed by jobId. A running job stops
 * at the next batch and publishes a {@code cancelled} status; a job not started yet never starts.
 */
public record CancelRequest(int schemaVersion, String jobId, String reason) {
  public static final int SCHEMA_VERSION = 1;

  public CancelRequest {
    Checks.schemaVersion(schemaVersion, SCHEMA_VERSION);
    Checks.id(jobId, "jobId");
  }

  public static CancelRequest of(String jobId, String reason) {
    return new CancelRequest(SCHEMA_VERSION, jobId, reason);
  }
}
