package io.charstream.trainer;

import io.charstream.model.Progress;
import io.charstream.schemas.Topics;
import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.TrainingStatus;
import io.charstream.trainer.kafka.TopicProducer;
import io.charstream.trainer.request.RequestReader;
import java.util.function.LongSupplier;

/**
 * The one place that builds a job's status events, and publishes them on the training-status topic
 * (keyed by jobId), stamped with this worker's clock; each one published counts in {@code
 * charstream.trainer.jobs{state}} (progress and checkpoint events do not). The jobs publish their
 * checkpoints with its producer, on its topics, and count in its metrics.
 */
record Statuses(
    Topics topics,
    TopicProducer producer,
    LongSupplier clock,
    String workerId,
    TrainerMetrics metrics) {

  long now() {
    return clock.getAsLong();
  }

  void accepted(TrainingRequest r, TrainingStatus.ResumePoint from) {
    publishSync(
        new TrainingStatus.Accepted(
            TrainingStatus.SCHEMA_VERSION, r.jobId(), r.modelId(), now(), workerId, r, from));
  }

  void rejected(RequestReader.Rejected x) {
    publishSync(
        new TrainingStatus.Rejected(
            TrainingStatus.SCHEMA_VERSION, x.jobId(), x.modelId(), now(), x.reason(), x.field()));
  }

  void rejected(TrainingRequest r, String reason, String field) {
    rejected(new RequestReader.Rejected(r.jobId(), r.modelId(), field, reason));
  }

  /** Sent without waiting: progress is frequent and the next one supersedes it. */
  void progress(
      TrainingRequest r,
      Progress p,
      Double lastValLoss,
      double charsPerSecond,
      double etaSeconds,
      double elapsedSeconds) {
    producer.send(
        topics.trainingStatus(),
        r.jobId(),
        new TrainingStatus.Progress(
            TrainingStatus.SCHEMA_VERSION,
            r.jobId(),
            r.modelId(),
            now(),
            p.epoch(),
            p.numEpochs(),
            p.step(),
            p.stepsPerEpoch(),
            p.globalStep(),
            p.loss(),
            lastValLoss,
            charsPerSecond,
            etaSeconds,
            elapsedSeconds));
  }

  /** The checkpoint {@code weights} (published for generators) is saved. */
  void checkpointSaved(TrainingRequest r, CheckpointEvent weights, long at) {
    publishSync(
        new TrainingStatus.CheckpointSaved(
            TrainingStatus.SCHEMA_VERSION,
            r.jobId(),
            r.modelId(),
            at,
            weights.version(),
            weights.epoch(),
            weights.globalStep(),
            weights.metrics().trainLoss(),
            weights.metrics().valLoss(),
            weights.sizeBytes(),
            weights.sha256()));
  }

  void completed(
      TrainingRequest r,
      long version,
      int epoch,
      double trainLoss,
      Double valLoss,
      double elapsedSeconds) {
    publishSync(
        new TrainingStatus.Completed(
            TrainingStatus.SCHEMA_VERSION,
            r.jobId(),
            r.modelId(),
            now(),
            version,
            epoch,
            trainLoss,
            valLoss,
            elapsedSeconds));
  }

  void failed(TrainingRequest r, String kind, String reason) {
    publishSync(
        new TrainingStatus.Failed(
            TrainingStatus.SCHEMA_VERSION, r.jobId(), r.modelId(), now(), kind, reason));
  }

  void cancelled(TrainingRequest r, String reason, Long version, int epoch) {
    publishSync(
        new TrainingStatus.Cancelled(
            TrainingStatus.SCHEMA_VERSION, r.jobId(), r.modelId(), now(), reason, version, epoch));
  }

  /** Sends and waits: for the events a job's fate depends on. */
  private void publishSync(TrainingStatus status) {
    producer.sendSync(topics.trainingStatus(), status.jobId(), status);
    if (TrainerMetrics.JOB_STATES.contains(status.type())) metrics.job(status.type());
  }
}
