package io.charstream.schemas.message;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.charstream.schemas.json.Checks;

/**
 * A job's status event, on {@code charstream.training-status} keyed by jobId. The JSON field {@code
 * type} says which variant it is. A job goes accepted -> (progress | checkpoint)* -> completed |
 * failed | cancelled, or is rejected outright. The topic is compacted: the latest event of each job
 * is its state.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = TrainingStatus.Accepted.class, name = "accepted"),
  @JsonSubTypes.Type(value = TrainingStatus.Rejected.class, name = "rejected"),
  @JsonSubTypes.Type(value = TrainingStatus.Progress.class, name = "progress"),
  @JsonSubTypes.Type(value = TrainingStatus.CheckpointSaved.class, name = "checkpoint"),
  @JsonSubTypes.Type(value = TrainingStatus.Completed.class, name = "completed"),
  @JsonSubTypes.Type(value = TrainingStatus.Failed.class, name = "failed"),
  @JsonSubTypes.Type(value = TrainingStatus.Cancelled.class, name = "cancelled")
})
public sealed interface TrainingStatus {
  int SCHEMA_VERSION = 1;

  int schemaVersion();

  String jobId();

  /** Null only in a rejection of a request whose modelId could not be read. */
  String modelId();

  /** When the event was produced, milliseconds since the epoch. */
  long timestampMs();

  /** True for the events after which a job never changes again. */
  default boolean terminal() {
    return !(this instanceof Accepted
        || this instanceof Progress
        || this instanceof CheckpointSaved);
  }

  /** The JSON {@code type} of this variant ("accepted", "progress", ...). */
  default String type() {
    for (JsonSubTypes.Type t : TrainingStatus.class.getAnnotation(JsonSubTypes.class).value()) {
      if (t.value() == getClass()) return t.name();
    }
    throw new IllegalStateException("unregistered status " + getClass());
  }

  private static void common(
      int schemaVersion, String jobId, String modelId, long timestampMs, boolean modelRequired) {
    Checks.schemaVersion(schemaVersion, SCHEMA_VERSION);
    Checks.id(jobId, "jobId");
    if (modelRequired) Checks.id(modelId, "modelId");
    Checks.atLeast(timestampMs, 0, "timestampMs");
  }

  /**
   * The job will run: it passed validation and a trainer took it.
   *
   * @param request the effective request, with defaults applied and the seed resolved
   * @param resumedFrom where a restarted job continues from, or null for a fresh start
   */
  record Accepted(
      int schemaVersion,
      String jobId,
      String modelId,
      long timestampMs,
      String workerId,
      TrainingRequest request,
      ResumePoint resumedFrom)
      implements TrainingStatus {
    public Accepted {
      common(schemaVersion, jobId, modelId, timestampMs, true);
      Checks.required(workerId, "workerId");
      Checks.required(request, "request");
    }
  }

  /** Where a resumed job continues: the checkpoint version and its training position. */
  record ResumePoint(long version, int epoch, long globalStep) {
    public ResumePoint {
      Checks.atLeast(version, 1, "version");
      Checks.atLeast(epoch, 0, "epoch");
      Checks.atLeast(globalStep, 0, "globalStep");
    }
  }

  /**
   * The request was not accepted and will never run.
   *
   * @param field the request field at fault, when one is
   */
  record Rejected(
      int schemaVersion,
      String jobId,
      String modelId,
      long timestampMs,
      String reason,
      String field)
      implements TrainingStatus {
    public Rejected {
      common(schemaVersion, jobId, modelId, timestampMs, false);
      Checks.optionalId(modelId, "modelId");
      Checks.required(reason, "reason");
    }
  }

  /**
   * Training progress, at least once per epoch and every few seconds.
   *
   * @param epoch 1-based epoch in progress
   * @param step batches done in this epoch
   * @param loss mean per-character cross entropy (nats) of this epoch so far
   * @param valLoss validation loss of the last finished epoch, null before the first
   * @param etaSeconds estimated seconds until the last epoch ends
   */
  record Progress(
      int schemaVersion,
      String jobId,
      String modelId,
      long timestampMs,
      int epoch,
      int numEpochs,
      long step,
      long stepsPerEpoch,
      long globalStep,
      double loss,
      Double valLoss,
      double charsPerSecond,
      double etaSeconds,
      double elapsedSeconds)
      implements TrainingStatus {
    public Progress {
      common(schemaVersion, jobId, modelId, timestampMs, true);
      Checks.atLeast(epoch, 1, "epoch");
      Checks.atLeast(numEpochs, 1, "numEpochs");
      Checks.atLeast(step, 0, "step");
      Checks.atLeast(stepsPerEpoch, 1, "stepsPerEpoch");
      Checks.atLeast(globalStep, 0, "globalStep");
    }
  }

  /** A checkpoint of this job was published on the checkpoints topic. */
  record CheckpointSaved(
      int schemaVersion,
      String jobId,
      String modelId,
      long timestampMs,
      long version,
      int epoch,
      long globalStep,
      double trainLoss,
      Double valLoss,
      long sizeBytes,
      String sha256)
      implements TrainingStatus {
    public CheckpointSaved {
      common(schemaVersion, jobId, modelId, timestampMs, true);
      Checks.atLeast(version, 1, "version");
      Checks.atLeast(sizeBytes, 1, "sizeBytes");
      Checks.sha256(sha256, "sha256");
    }
  }

  /** The job trained every epoch; {@code version} is its final checkpoint. */
  record Completed(
      int schemaVersion,
      String jobId,
      String modelId,
      long timestampMs,
      long version,
      int epochs,
      double trainLoss,
      Double valLoss,
      double durationSeconds)
      implements TrainingStatus {
    public Completed {
      common(schemaVersion, jobId, modelId, timestampMs, true);
      Checks.atLeast(version, 1, "version");
    }
  }

  /**
   * The job stopped on an error and will not be retried.
   *
   * @param kind a short machine-readable class: corpus-incomplete, corpus-checksum, diverged,
   *     internal, ...
   */
  record Failed(
      int schemaVersion, String jobId, String modelId, long timestampMs, String kind, String reason)
      implements TrainingStatus {
    public Failed {
      common(schemaVersion, jobId, modelId, timestampMs, true);
      Checks.required(kind, "kind");
      Checks.required(reason, "reason");
    }
  }

  /**
   * The job was stopped by a cancel request.
   *
   * @param version its last published checkpoint, or null if none was
   */
  record Cancelled(
      int schemaVersion,
      String jobId,
      String modelId,
      long timestampMs,
      String reason,
      Long version,
      int epoch)
      implements TrainingStatus {
    public Cancelled {
      common(schemaVersion, jobId, modelId, timestampMs, true);
      Checks.atLeast(epoch, 0, "epoch");
    }
  }
}
