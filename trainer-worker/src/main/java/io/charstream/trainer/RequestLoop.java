package io.charstream.trainer;

import io.charstream.schemas.DeadLetters;
import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Checks;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.json.MessageFormatException;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.trainer.kafka.TopicProducer;
import io.charstream.trainer.request.Rejection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The polling thread of the training-requests consumer. It never trains: it sorts each record into
 * dead letter (not JSON), rejection (breaks the contract) or job, hands jobs to the executor, and
 * keeps polling. A partition with a running job is paused and rewound to the record after the job,
 * and its offset is committed only when the job ends; so at most one job per partition (and per
 * model, the key) runs, and a job whose worker dies is picked up again by the next owner.
 */
final class RequestLoop implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(RequestLoop.class);

  private record Running(Job job, JobControl control, Future<?> future) {}

  private record Finished(TopicPartition partition, Job job, JobRunner.Outcome outcome) {}

  private final TrainerConfig config;
  private final Topics topics;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final TopicProducer producer;
  private final Statuses statuses;
  private final JobRunner runner;
  private final ExecutorService executor;
  private final Map<TopicPartition, Running> running = new HashMap<>();
  private final ConcurrentLinkedQueue<Finished> finished = new ConcurrentLinkedQueue<>();
  private volatile boolean stopping;

  RequestLoop(
      TrainerConfig config,
      KafkaConsumer<byte[], byte[]> consumer,
      TopicProducer producer,
      Statuses statuses,
      JobRunner runner,
      ExecutorService executor) {
    this.config = config;
    this.topics = config.topics();
    this.consumer = consumer;
    this.producer = producer;
    this.statuses = statuses;
    this.runner = runner;
    this.executor = executor;
  }

  /** Asks the loop to hand its jobs over and leave the group. */
  void stop() {
    stopping = true;
    consumer.wakeup();
  }

  @Override
  public void run() {
    consumer.subscribe(List.of(topics.trainingRequests().name()), new Rebalance());
    try {
      while (!stopping) {
        settleFinished();
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(250));
        for (TopicPartition tp : records.partitions()) {
          for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
            try {
              if (!handle(tp, r)) break;
            } catch (WakeupException e) {
              throw e;
            } catch (KafkaException e) {
              // Could not publish the verdict (broker away?): read the record again later.
              LOG.warn(
                  "could not process {}-{}@{}, will retry: {}",
                  r.topic(),
                  r.partition(),
                  r.offset(),
                  e.toString());
              consumer.seek(tp, r.offset());
              break;
            }
          }
        }
      }
    } catch (WakeupException e) {
      if (!stopping) throw e;
    } finally {
      handOver(List.copyOf(running.keySet()), true);
      settleFinished();
      consumer.close();
      LOG.info("trainer left the group");
    }
  }

  /**
   * @return false when the partition was paused and rewound (its later records wait)
   */
  private boolean handle(TopicPartition tp, ConsumerRecord<byte[], byte[]> r) {
    if (running.containsKey(tp) || running.size() >= config.maxConcurrentJobs()) {
      rewindAndPause(tp, r.offset());
      return false;
    }
    String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
    String keyModel = key != null && Checks.ID.matcher(key).matches() ? key : null;
    TrainingRequest request;
    try {
      var tree = Json.readTree(r.value());
      try {
        request = Json.fromTree(tree, TrainingRequest.class);
      } catch (MessageFormatException e) {
        String model = Json.textField(tree, "modelId");
        String modelId = model != null && Checks.ID.matcher(model).matches() ? model : keyModel;
        String id = Json.textField(tree, "jobId");
        String jobId =
            id != null && Checks.ID.matcher(id).matches()
                ? id
                : RequestPolicy.derivedJobId(
                    modelId != null ? modelId : "unknown", r.partition(), r.offset());
        statuses.rejected(jobId, modelId, "invalid training request: " + e.getMessage(), e.field());
        commit(tp, r.offset());
        return true;
      }
    } catch (MessageFormatException e) {
      LOG.warn(
          "training request {}-{}@{} dead-lettered: {}",
          r.topic(),
          r.partition(),
          r.offset(),
          e.getMessage());
      producer.sendSync(
          DeadLetters.of(
              topics,
              topics.trainingRequests(),
              r,
              "not-json",
              e.getMessage(),
              statuses.workerId()));
      if (keyModel != null) {
        statuses.rejected(
            RequestPolicy.derivedJobId(keyModel, r.partition(), r.offset()),
            keyModel,
            "unreadable training request (sent to "
                + topics.deadLetter(topics.trainingRequests()).name()
                + "): "
                + e.getMessage(),
            null);
      }
      commit(tp, r.offset());
      return true;
    }
    TrainingRequest effective;
    try {
      effective = RequestPolicy.effective(request, r.partition(), r.offset());
    } catch (Rejection e) {
      String jobId =
          request.jobId() != null
              ? request.jobId()
              : RequestPolicy.derivedJobId(request.modelId(), r.partition(), r.offset());
      statuses.rejected(
          jobId, request.modelId(), "invalid training request: " + e.getMessage(), e.field());
      commit(tp, r.offset());
      return true;
    }
    if (!request.modelId().equals(key)) {
      // The key decides the partition, and the partition guarantees one job per model at a time.
      statuses.rejected(
          effective.jobId(),
          request.modelId(),
          "a training request must be keyed by its modelId '"
              + request.modelId()
              + "', but the key is "
              + (key == null ? "missing" : "'" + key + "'"),
          "modelId");
      commit(tp, r.offset());
      return true;
    }
    Job job = new Job(effective, r.topic(), r.partition(), r.offset());
    JobControl control = new JobControl();
    Future<?> future =
        executor.submit(
            () -> {
              JobRunner.Outcome outcome = JobRunner.Outcome.RESUME_LATER;
              try {
                outcome = runner.run(job, control);
              } finally {
                finished.add(new Finished(tp, job, outcome));
              }
            });
    running.put(tp, new Running(job, control, future));
    rewindAndPause(tp, r.offset() + 1);
    return false;
  }

  /**
   * Commits what finished jobs allow and lets their partitions (and any waiting for a slot) go on.
   */
  private void settleFinished() {
    Finished f;
    while ((f = finished.poll()) != null) {
      Running r = running.get(f.partition());
      if (r == null || r.job() != f.job()) continue; // its partition was revoked meanwhile
      running.remove(f.partition());
      if (f.outcome() == JobRunner.Outcome.DONE) {
        commit(f.partition(), f.job().offset());
      } else {
        consumer.seek(
            f.partition(), f.job().offset()); // run it again: it resumes from its saved state
      }
    }
    if (running.size() < config.maxConcurrentJobs()) {
      List<TopicPartition> idle =
          consumer.paused().stream().filter(tp -> !running.containsKey(tp)).toList();
      if (!idle.isEmpty()) consumer.resume(idle);
    }
  }

  private void rewindAndPause(TopicPartition tp, long offset) {
    consumer.seek(tp, offset);
    consumer.pause(List.of(tp));
  }

  private void commit(TopicPartition tp, long offset) {
    try {
      consumer.commitSync(Map.of(tp, new OffsetAndMetadata(offset + 1)));
    } catch (CommitFailedException | RebalanceInProgressException e) {
      // The partition moved on: its new owner reads the record again and finds the job's final
      // status.
      LOG.warn("could not commit {} at {}: {}", tp, offset + 1, e.toString());
    }
  }

  /** Stops the jobs of these partitions (they save their state) and commits those that ended. */
  private void handOver(Collection<TopicPartition> partitions, boolean canCommit) {
    for (TopicPartition tp : partitions) {
      Running r = running.remove(tp);
      if (r == null) continue;
      r.control().requestHandover();
      try {
        r.future().get(config.handoverTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        LOG.warn(
            "job {} did not stop within {} ms; its partition moves on anyway",
            r.job().id(),
            config.handoverTimeout().toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (java.util.concurrent.ExecutionException e) {
        LOG.warn(
            "job {} ended with an error during handover: {}",
            r.job().id(),
            e.getCause().toString());
      }
      for (Finished f : finished) {
        if (f.job() == r.job() && f.outcome() == JobRunner.Outcome.DONE && canCommit) {
          commit(tp, r.job().offset());
        }
      }
      finished.removeIf(f -> f.job() == r.job());
    }
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      handOver(partitions, true);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      handOver(partitions, false);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (!partitions.isEmpty()) LOG.info("assigned {}", partitions);
    }
  }
}
