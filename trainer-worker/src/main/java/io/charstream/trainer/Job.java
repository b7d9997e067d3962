package io.charstream.trainer;

import io.charstream.schemas.message.TrainingRequest;

/**
 * A training job taken from the request topic: the effective request (jobId and seed resolved) and
 * where its record is, whose offset is committed only when the job has ended.
 */
record Job(TrainingRequest request, String topic, int partition, long offset) {
  String id() {
    return request.jobId();
  }
}
