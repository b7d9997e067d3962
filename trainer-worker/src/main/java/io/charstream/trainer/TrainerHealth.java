package io.charstream.trainer;

import io.charstream.observability.HealthServer.Check;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;

/**
 * What a trainer's /livez and /readyz answer. Live: the request loop and the Kafka Streams threads
 * turn (each polled within {@code health.stall-ms}) and the Streams client has not failed; a dead
 * or wedged one fails it, and Kubernetes restarts the pod. The training threads are not watched: a
 * step may take long (deploy/README.md, "Probes"), and a job that stops progressing is an alert,
 * not a restart. Ready: started, the corpus index and job tables restored, and request partitions
 * assigned.
 */
final class TrainerHealth {

  /** The request loop as the check sees it. */
  record Loop(
      boolean started, boolean running, Throwable failure, long nanosSinceTurn, int assigned) {}

  /** What the check needs of the Kafka Streams tables. */
  interface Tables {
    KafkaStreams.State state();

    /** Stream threads that are neither dead nor shutting down. */
    int liveThreads();

    /**
     * Seconds since each polling Streams consumer (stream threads', the global tables') last
     * polled, by client id; negative for one that has not polled yet.
     */
    Map<String, Double> secondsSincePoll();
  }

  private static final Set<KafkaStreams.State> DEAD =
      Set.of(
          KafkaStreams.State.ERROR,
          KafkaStreams.State.PENDING_ERROR,
          KafkaStreams.State.NOT_RUNNING,
          KafkaStreams.State.PENDING_SHUTDOWN);

  private final Supplier<Loop> loop;
  private final Tables tables;
  private final Duration stall;

  TrainerHealth(Supplier<Loop> loop, Tables tables, Duration stall) {
    this.loop = loop;
    this.tables = tables;
    this.stall = stall;
  }

  Check live() {
    Loop l = loop.get();
    if (l.failure() != null) return new Check(false, "request loop failed: " + l.failure());
    if (l.started() && !l.running()) return new Check(false, "worker stopped");
    KafkaStreams.State state = tables.state();
    if (DEAD.contains(state)) return new Check(false, "Kafka Streams tables " + state);
    if (!l.started()) {
      // Start-up waits for the tables with its own deadline and exits the process when it passes.
      return new Check(true, "starting: Kafka Streams tables " + state);
    }
    long stalledMs = l.nanosSinceTurn() / 1_000_000;
    if (stalledMs > stall.toMillis()) {
      return new Check(
          false,
          "request loop has not turned for " + stalledMs + " ms (limit " + stall.toMillis() + ")");
    }
    if (tables.liveThreads() == 0) return new Check(false, "no Kafka Streams thread alive");
    for (Map.Entry<String, Double> e : new TreeMap<>(tables.secondsSincePoll()).entrySet()) {
      if (e.getValue() * 1000 > stall.toMillis()) {
        return new Check(
            false,
            "Kafka Streams consumer "
                + e.getKey()
                + " has not polled for "
                + e.getValue().longValue()
                + " s (limit "
                + stall.toSeconds()
                + " s)");
      }
    }
    return new Check(true, "request loop and Kafka Streams threads turning");
  }

  Check ready() {
    Check live = live();
    if (!live.ok()) return live;
    Loop l = loop.get();
    KafkaStreams.State state = tables.state();
    boolean restored =
        l.started()
            && (state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING);
    String why =
        (restored ? "corpus index and job tables restored" : "tables " + state)
            + "; "
            + l.assigned()
            + " training-requests partitions assigned";
    return new Check(restored && l.assigned() > 0, why);
  }

  /** {@link Tables} of a running KafkaStreams client. */
  static Tables of(KafkaStreams streams) {
    return new Tables() {
      @Override
      public KafkaStreams.State state() {
        return streams.state();
      }

      @Override
      public int liveThreads() {
        int n = 0;
        for (ThreadMetadata t : streams.metadataForLocalThreads()) {
          if (!t.threadState().equals("DEAD") && !t.threadState().equals("PENDING_SHUTDOWN")) n++;
        }
        return n;
      }

      @Override
      public Map<String, Double> secondsSincePoll() {
        return pollAges(streams.metrics());
      }
    };
  }

  /**
   * The {@code last-poll-seconds-ago} of the consumers a Streams thread polls in its loop: the
   * stream threads' main consumers ({@code <client>-StreamThread-N-consumer}) and the global
   * tables' ({@code <client>-global-consumer}). Restore consumers are left out: they are polled
   * only while a store restores, and then rest.
   */
  static Map<String, Double> pollAges(Map<MetricName, ? extends Metric> metrics) {
    Map<String, Double> out = new TreeMap<>();
    metrics.forEach(
        (name, metric) -> {
          String client = name.tags().getOrDefault("client-id", "");
          if (name.name().equals("last-poll-seconds-ago")
              && name.group().equals("consumer-metrics")
              && client.endsWith("-consumer")
              && !client.endsWith("-restore-consumer")
              && metric.metricValue() instanceof Number n) {
            out.put(client, n.doubleValue());
          }
        });
    return out;
  }
}
