package io.charstream.generator;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The worker's meters (Prometheus names in docs/generator.md). One instance per worker, on the
 * worker's own registry, so several workers in one JVM (the benchmark, the tests) stay apart.
 */
final class GeneratorMetrics {

  private static final String P = "charstream.generator.";

  private final MeterRegistry registry;
  private final Counter generatedChars;
  private final Counter steps;
  private final Timer queueWait;
  private final Timer timeToFirstChar;
  private final Timer duration;
  private final DistributionSummary occupancy;
  private final Timer commitDuration;
  private final Timer stepDuration;
  private final AtomicInteger activeSlots = new AtomicInteger();
  private final AtomicInteger queueDepth = new AtomicInteger();
  private final AtomicInteger paused = new AtomicInteger();
  private final AtomicInteger assigned = new AtomicInteger();
  private final Set<String> modelGauges = ConcurrentHashMap.newKeySet();

  // No chars/s gauge: it read the last window's rate for as long as nothing was generated (a
  // 200-character answer in 77 ms showed 0.0214). Prometheus derives rates from the counters:
  // rate(charstream_generator_generated_chars_total[1m]) (docs/generator.md has the PromQL).

  GeneratorMetrics(MeterRegistry registry, int capacity) {
    this.registry = registry;
    generatedChars =
        Counter.builder(P + "generated.chars")
            .description("Characters generated")
            .register(registry);
    steps = Counter.builder(P + "steps").description("Batched steps taken").register(registry);
    queueWait =
        timer("queue.wait", "From the request record's timestamp to priming it into a slot");
    timeToFirstChar =
        timer(
            "time.to.first.char",
            "From the request record's timestamp to its first generated character");
    duration =
        timer("request.duration", "From the request record's timestamp to its final response");
    commitDuration =
        timer(
            "transaction.duration",
            "From handing a transaction to the committer to its commit (runs beside the steps)");
    stepDuration =
        Timer.builder(P + "step.duration")
            .description(
                "Wall time of a batched step: its slots through the network and the sampler")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(10_000))
            .maximumExpectedValue(Duration.ofMillis(100))
            .register(registry);
    occupancy =
        DistributionSummary.builder(P + "batch.occupancy")
            .description("Busy slots / batch capacity, per batched step")
            .publishPercentiles(0.5, 0.95)
            .register(registry);
    gauge("batch.capacity", () -> capacity, "Slots of the batch");
    gauge("slots.active", activeSlots::get, "Requests generating now");
    gauge("queue.depth", queueDepth::get, "Requests waiting for a slot");
    gauge("partitions.paused", paused::get, "1 while fetching is paused (flow control)");
    gauge("partitions.assigned", assigned::get, "Request partitions owned");
  }

  private void gauge(String name, Supplier<Number> value, String description) {
    Gauge.builder(P + name, value).description(description).register(registry);
  }

  private Timer timer(String name, String description) {
    return Timer.builder(P + name)
        .description(description)
        .publishPercentiles(0.5, 0.95, 0.99)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofMinutes(5))
        .register(registry);
  }

  private static Duration millis(double ms) {
    return Duration.ofNanos((long) (ms * 1e6));
  }

  void started(Job job) {
    queueWait.record(millis(job.sinceOriginMs(job.startedNanos())));
  }

  /** A batched step of {@code active} slots took {@code nanos} and generated {@code chars}. */
  void stepped(int chars, int active, int capacity, long nanos) {
    steps.increment();
    stepDuration.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    generatedChars.increment(chars);
    occupancy.record((double) active / capacity);
  }

  void answered(Job job) {
    String outcome = job.finish().name().toLowerCase(java.util.Locale.ROOT);
    registry.counter(P + "requests", "outcome", outcome).increment();
    byPriority(job, outcome);
    if (job.steps() > 0) { // a request cancelled before its first character has none
      timeToFirstChar.record(millis(job.sinceOriginMs(job.firstCharNanos())));
    }
    duration.record(millis(job.sinceOriginMs(job.finishedNanos())));
  }

  /** A request answered with an error (or dead-lettered), by kind. */
  void error(ErrorKind kind) {
    registry.counter(P + "requests", "outcome", "error").increment();
    registry.counter(P + "errors", "kind", kind.code()).increment();
  }

  /**
   * An accepted request (one that had a priority) answered with {@code outcome}: the finish reason,
   * or "error" for one that failed or expired before it ran.
   */
  void byPriority(Job job, String outcome) {
    registry
        .counter(
            P + "requests.by.priority",
            "priority",
            job.spec().priority().json(),
            "outcome",
            outcome)
        .increment();
  }

  /** A checkpoint event that could not be read or loaded. */
  void badCheckpoint() {
    registry.counter(P + "errors", "kind", "bad-checkpoint").increment();
  }

  /** A transaction committed after {@code nanos} in the committer. */
  void committed(long nanos) {
    transaction(true);
    commitDuration.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  void transaction(boolean committed) {
    registry
        .counter(P + "transactions", "outcome", committed ? "committed" : "aborted")
        .increment();
  }

  /** Requests handed back to the group on a rebalance or shutdown (another worker answers them). */
  void handedBack(int n) {
    registry.counter(P + "handed.back").increment(n);
  }

  void state(int active, int queued, boolean isPaused, int partitions) {
    activeSlots.set(active);
    queueDepth.set(queued);
    paused.set(isPaused ? 1 : 0);
    assigned.set(partitions);
  }

  /** Exposes the latest loaded version of {@code modelId} (once per model id). */
  void modelVersion(String modelId, Supplier<Number> latest) {
    if (modelGauges.add(modelId)) {
      Gauge.builder(
              P + "model.version",
              () -> {
                Number n = latest.get();
                return n == null ? Double.NaN : n.doubleValue();
              })
          .description("Latest loaded version per model id")
          .tag("model_id", modelId)
          .register(registry);
    }
  }

  double meanOccupancy() {
    return occupancy.mean();
  }

  long stepCount() {
    return (long) steps.count();
  }

  MeterRegistry registry() {
    return registry;
  }
}
