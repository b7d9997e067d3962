package io.charstream.trainer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The trainer's own meters (Prometheus names in docs/trainer.md), following the generator's
 * conventions: prefix {@code charstream.trainer.}, counters of events by a {@code kind}, {@code
 * state} or {@code outcome} tag, gauges of the current state. One instance per worker, on the
 * worker's own registry, so several workers in one JVM (the tests, the benchmark) stay apart. A
 * running job's meters, labelled by model, are a {@link JobMeters} from {@link #job}.
 */
final class TrainerMetrics {

  static final String P = "charstream.trainer.";

  /**
   * What went wrong, by kind: every kind is registered at 0, so its first occurrence is an increase
   * that {@code increase()} and an alert see.
   */
  static final List<String> ERROR_KINDS =
      List.of(
          "not-json", // a training request that is not JSON: dead-lettered
          "invalid-request", // a request that breaks the contract: rejected by the reader
          "job-rejected", // refused when the job started: limits, corpus missing, restore
          "corpus-not-json", // corpus chunks dead-lettered by the corpus index, by why
          "corpus-invalid-field",
          "corpus-wrong-key",
          "diverged", // a job failed: the loss became NaN
          "internal", // a job failed on an unexpected error
          "kafka"); // a job stopped on a Kafka error; it resumes from its last saved state

  /** Job status events this worker published, by type, plus {@code stopped} (handed over). */
  static final List<String> JOB_STATES =
      List.of("accepted", "rejected", "completed", "failed", "cancelled", "stopped");

  /** Where the request loop sorted a training-request record. */
  static final List<String> REQUEST_OUTCOMES = List.of("job", "rejected", "dead-letter");

  private final MeterRegistry registry;
  private final AtomicInteger running = new AtomicInteger();
  private final DistributionSummary checkpointSize;
  private final Timer checkpointPublish;
  private final Counter stateWrites;
  private final DistributionSummary stateSize;

  TrainerMetrics(MeterRegistry registry) {
    this.registry = registry;
    ERROR_KINDS.forEach(k -> counter(ERRORS, k));
    JOB_STATES.forEach(s -> counter(JOBS, s));
    REQUEST_OUTCOMES.forEach(o -> counter(REQUESTS, o));
    Gauge.builder(P + "jobs.running", running::get)
        .description("Jobs on a training thread of this worker (preparing or training)")
        .register(registry);
    checkpointSize =
        DistributionSummary.builder(P + "checkpoint.size")
            .description("Each checkpoint published for generators (decoded bytes: weights only)")
            .baseUnit("bytes")
            .register(registry);
    checkpointPublish =
        Timer.builder(P + "checkpoint.publish")
            .description(
                "Training thread time to encode and write a checkpoint: training state, then the "
                    + "weights for generators, until the broker acknowledged both")
            .register(registry);
    stateWrites =
        Counter.builder(P + "training.state.writes")
            .description(
                "Full training states (weights, Adam, data position) written to training-state")
            .register(registry);
    stateSize =
        DistributionSummary.builder(P + "training.state.size")
            .description(
                "Each training state written (decoded bytes: weights, Adam state, data position)")
            .baseUnit("bytes")
            .register(registry);
  }

  /** A family of counters {@code charstream.trainer.<name>{<tag>}}. */
  private record Family(String name, String tag, String description) {}

  private static final Family ERRORS = new Family("errors", "kind", "What went wrong, by kind");
  private static final Family JOBS =
      new Family(
          "jobs",
          "state",
          "Job status events published, by state (stopped: handed over unfinished)");
  private static final Family REQUESTS =
      new Family(
          "requests", "outcome", "Training-request records sorted by the request loop, by outcome");

  /** The family's counter for one tag value (registered on first use). */
  private Counter counter(Family f, String value) {
    return Counter.builder(P + f.name())
        .description(f.description())
        .tag(f.tag(), value)
        .register(registry);
  }

  /** A training-request record became a job, a rejection or a dead letter. */
  void request(String outcome) {
    counter(REQUESTS, outcome).increment();
  }

  void error(String kind) {
    counter(ERRORS, kind).increment();
  }

  /** A status event of this {@code state} was published (or, for stopped, the job handed over). */
  void job(String state) {
    counter(JOBS, state).increment();
  }

  /** A job is on a training thread until {@link #jobLeft()}. */
  void jobEntered() {
    running.incrementAndGet();
  }

  void jobLeft() {
    running.decrementAndGet();
  }

  void trainingStateWritten(long bytes) {
    stateWrites.increment();
    stateSize.record(bytes);
  }

  void checkpointPublished(long weightBytes, long nanos) {
    checkpointSize.record(weightBytes);
    checkpointPublish.record(nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * The corpus index's size (from the global corpora table), read at each scrape.
   *
   * @param stats null while the tables are not queryable (starting, restoring)
   */
  void corpusIndex(Supplier<CorpusStats> stats) {
    Gauge.builder(
            P + "corpora",
            () -> {
              CorpusStats s = stats.get();
              return s == null ? Double.NaN : s.corpora();
            })
        .description("Corpora with a complete upload in the corpus index")
        .register(registry);
    Gauge.builder(
            P + "corpora.chars",
            () -> {
              CorpusStats s = stats.get();
              return s == null ? Double.NaN : s.chars();
            })
        .description("Characters of the complete uploads in the corpus index")
        .register(registry);
  }

  /** The corpus index's size. */
  record CorpusStats(long corpora, long chars) {}

  /**
   * The meters of a job starting on this worker, labelled by its model; closed when the job leaves
   * the worker.
   *
   * @param charsPerStep characters one training step consumes (batchSize x seqLen)
   * @param globalStep the step it starts from (its resume point, or 0)
   * @param nowMillis wall-clock time: the job's checkpoint clock starts here
   */
  JobMeters job(String modelId, long charsPerStep, long globalStep, long nowMillis) {
    return new JobMeters(this, modelId, charsPerStep, globalStep, nowMillis);
  }

  MeterRegistry registry() {
    return registry;
  }
}
