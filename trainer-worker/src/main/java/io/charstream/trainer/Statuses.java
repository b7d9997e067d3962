package io.charstream.trainer;

import io.charstream.schemas.Topics;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.TrainingStatus;
import io.charstream.trainer.kafka.TopicProducer;
import java.util.function.LongSupplier;

/** Builds and publishes a job's status events on the training-status topic (keyed by jobId). */
final class Statuses {
  private final Topics topics;
  private final TopicProducer producer;
  private final LongSupplier clock;
  private final String workerId;

  Statuses(Topics topics, TopicProducer producer, LongSupplier clock, String workerId) {
    this.topics = topics;
    this.producer = producer;
    this.clock = clock;
    this.workerId = workerId;
  }

  long now() {
    return clock.getAsLong();
  }

  String workerId() {
    return workerId;
  }

  /** Sends without waiting: progress is frequent and the next one supersedes it. */
  void publish(TrainingStatus status) {
    producer.send(topics.trainingStatus(), status.jobId(), status);
  }

  /** Sends and waits: for the events a job's fate depends on. */
  void publishSync(TrainingStatus status) {
    producer.sendSync(topics.trainingStatus(), status.jobId(), status);
  }

  void accepted(TrainingRequest r, TrainingStatus.ResumePoint from) {
    publishSync(
        new TrainingStatus.Accepted(
            TrainingStatus.SCHEMA_VERSION, r.jobId(), r.modelId(), now(), workerId, r, from));
  }

  void rejected(String jobId, String modelId, String reason, String field) {
    publishSync(
        new TrainingStatus.Rejected(
            TrainingStatus.SCHEMA_VERSION, jobId, modelId, now(), reason, field));
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
}
