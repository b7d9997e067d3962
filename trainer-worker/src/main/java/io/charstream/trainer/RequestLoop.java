package io.charstream.trainer;

import io.charstream.schemas.DeadLetters;
import io.charstream.schemas.Topics;
import io.charstream.trainer.kafka.TopicProducer;
import io.charstream.trainer.request.RequestReader;
import io.charstream.trainer.request.RequestReader.Accepted;
import io.charstream.trainer.request.RequestReader.DeadLetter;
import io.charstream.trainer.request.RequestReader.Rejected;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The polling thread of the training-requests consumer. It never trains and never parses: its
 * {@link RequestReader} sorts each record into job, rejection or dead letter; the loop hands jobs
 * to the executor, publishes the others' verdicts, and commits. A partition with a running job is
 * paused and rewound to the record after the job, and its offset is committed only when the job
 * ends; so at most one job per partition (and per model, the key) runs, and a job whose worker dies
 * is picked up again by the next owner. Each turn beats the {@link Heartbeat} /livez watches; the
 * longest a turn may take is a rebalance that waits {@code handover.timeout-ms} for running jobs.
 */
final class RequestLoop implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(RequestLoop.class);

  /** Runs one job to its end or its handover, on an executor thread. */
  @FunctionalInterface
  interface Runner {
    JobRunner.Outcome run(Job job, JobControl control);
  }

  private record Running(Job job, JobControl control, Future<?> future) {}

  private record Finished(TopicPartition partition, Job job, JobRunner.Outcome outcome) {}

  private final TrainerConfig config;
  private final Topics topics;
  private final Consumer<byte[], byte[]> consumer;
  private final RequestReader reader;
  private final TopicProducer producer;
  private final Statuses statuses;
  private final Runner runner;
  private final ExecutorService executor;
  private final TrainerMetrics metrics;
  private final Heartbeat heartbeat;
  private final Map<TopicPartition, Running> running = new HashMap<>();
  private final ConcurrentLinkedQueue<Finished> finished = new ConcurrentLinkedQueue<>();
  private final Set<TopicPartition> owned = new HashSet<>(); // the poll thread's
  private volatile int assigned;
  private volatile boolean stopping;

  RequestLoop(
      TrainerConfig config,
      Consumer<byte[], byte[]> consumer,
      RequestReader reader,
      Statuses statuses,
      Runner runner,
      ExecutorService executor,
      Heartbeat heartbeat) {
    this.config = config;
    this.topics = config.topics();
    this.consumer = consumer;
    this.reader = reader;
    this.producer = statuses.producer();
    this.statuses = statuses;
    this.runner = runner;
    this.executor = executor;
    this.metrics = statuses.metrics();
    this.heartbeat = heartbeat;
  }

  /** Training-requests partitions this worker owns now (any thread may ask). */
  int assignedPartitions() {
    return assigned;
  }

  /** Asks the loop to hand its jobs over and leave the group. */
  void stop() {
    stopping = true;
    consumer.wakeup();
  }

  @Override
  public void run() {
    subscribe();
    try {
      while (!stopping) pollOnce();
    } catch (WakeupException e) {
      if (!stopping) throw e;
    } finally {
      close();
    }
  }

  void subscribe() {
    consumer.subscribe(List.of(topics.trainingRequests().name()), new Rebalance());
  }

  /** One turn of the loop: settle finished jobs, poll, sort and hand over what came. */
  void pollOnce() {
    heartbeat.beat();
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

  /** Hands the running jobs over, commits those that ended, and closes the consumer. */
  void close() {
    handOver(List.copyOf(running.keySet()), true);
    settleFinished();
    consumer.close();
    LOG.info("trainer left the group");
  }

  /**
   * @return false when the partition was paused and rewound (its later records wait)
   */
  private boolean handle(TopicPartition tp, ConsumerRecord<byte[], byte[]> r) {
    if (running.containsKey(tp) || running.size() >= config.maxConcurrentJobs()) {
      rewindAndPause(tp, r.offset());
      return false;
    }
    RequestReader.Read read = reader.read(r.key(), r.value(), r.partition(), r.offset());
    if (read instanceof Accepted a) {
      start(tp, new Job(a.request(), r.topic(), r.partition(), r.offset()));
      metrics.request("job");
      return false;
    } else if (read instanceof Rejected x) {
      statuses.rejected(x);
      metrics.request("rejected");
      metrics.error("invalid-request");
    } else if (read instanceof DeadLetter d) {
      LOG.warn(
          "training request {}-{}@{} dead-lettered: {}",
          r.topic(),
          r.partition(),
          r.offset(),
          d.message());
      producer.sendSync(
          DeadLetters.of(
              topics, topics.trainingRequests(), r, d.kind(), d.message(), statuses.workerId()));
      if (d.notice() != null) statuses.rejected(d.notice());
      metrics.request("dead-letter");
      metrics.error(d.kind());
    }
    commit(tp, r.offset());
    return true;
  }

  /** Hands the job to the executor; its partition waits, paused, until the job ends. */
  private void start(TopicPartition tp, Job job) {
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
    rewindAndPause(tp, job.offset() + 1);
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

  /**
   * Stops the jobs of these partitions (they save their state) and commits those that ended. All
   * are asked at once and share one deadline, so a rebalance holds the loop at most {@code
   * handover.timeout-ms} however many jobs run.
   */
  private void handOver(Collection<TopicPartition> partitions, boolean canCommit) {
    Map<TopicPartition, Running> asked = new HashMap<>();
    for (TopicPartition tp : partitions) {
      Running r = running.remove(tp);
      if (r == null) continue;
      r.control().requestHandover();
      asked.put(tp, r);
    }
    long deadline = System.nanoTime() + config.handoverTimeout().toNanos();
    for (Map.Entry<TopicPartition, Running> s : asked.entrySet()) {
      TopicPartition tp = s.getKey();
      Running r = s.getValue();
      try {
        r.future().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        LOG.warn(
            "job {} did not stop within {} ms; its partition moves on anyway",
            r.job().id(),
            config.handoverTimeout().toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException e) {
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
      owned.removeAll(partitions);
      assigned = owned.size();
      handOver(partitions, true);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      owned.removeAll(partitions);
      assigned = owned.size();
      handOver(partitions, false);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      owned.addAll(partitions);
      assigned = owned.size();
      if (!partitions.isEmpty()) LOG.info("assigned {}", partitions);
    }
  }
}
