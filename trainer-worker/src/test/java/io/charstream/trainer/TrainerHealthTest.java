package io.charstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.observability.HealthServer.Check;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.stats.Value;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;

/**
 * What /livez and /readyz answer for each state of the request loop and the Kafka Streams tables
 * (the wedged loop on a real RequestLoop is in RequestLoopTest; a killed Streams thread on a real
 * broker in the app's TrainerMetricsIT).
 */
class TrainerHealthTest {
  private static final Duration STALL = Duration.ofSeconds(180);
  private static final long SECOND = 1_000_000_000L;

  private TrainerHealth.Loop loop = new TrainerHealth.Loop(true, true, null, SECOND, 3);
  private State state = State.RUNNING;
  private int threads = 1;
  private Map<String, Double> polls =
      Map.of("w-tables-StreamThread-1-consumer", 0.0, "w-tables-global-consumer", 1.0);

  private final TrainerHealth health =
      new TrainerHealth(
          () -> loop,
          new TrainerHealth.Tables() {
            @Override
            public State state() {
              return state;
            }

            @Override
            public int liveThreads() {
              return threads;
            }

            @Override
            public Map<String, Double> secondsSincePoll() {
              return polls;
            }
          },
          STALL);

  @Test
  void aTurningLoopAndRunningTablesAreLiveAndReady() {
    assertThat(health.live())
        .isEqualTo(new Check(true, "request loop and Kafka Streams threads turning"));
    assertThat(health.ready())
        .isEqualTo(
            new Check(
                true,
                "corpus index and job tables restored; 3 training-requests partitions assigned"));
    state = State.REBALANCING; // another trainer joined: the global tables are still there
    assertThat(health.ready().ok()).isTrue();
  }

  @Test
  void startingIsLiveButNotReady() {
    loop = new TrainerHealth.Loop(false, true, null, 0, 0);
    state = State.REBALANCING;
    threads = 0;
    polls = Map.of();
    assertThat(health.live())
        .isEqualTo(new Check(true, "starting: Kafka Streams tables REBALANCING"));
    assertThat(health.ready().ok()).isFalse();
  }

  @Test
  void noPartitionsIsLiveButNotReady() {
    loop = new TrainerHealth.Loop(true, true, null, SECOND, 0);
    assertThat(health.live().ok()).isTrue();
    assertThat(health.ready())
        .isEqualTo(
            new Check(
                false,
                "corpus index and job tables restored; 0 training-requests partitions assigned"));
  }

  @Test
  void aLoopThatStalledLongerThanTheLimitIsDead() {
    loop = new TrainerHealth.Loop(true, true, null, STALL.toNanos(), 3);
    assertThat(health.live().ok()).as("at the limit").isTrue();
    loop = new TrainerHealth.Loop(true, true, null, STALL.toNanos() + 1_000_000, 3);
    assertThat(health.live())
        .isEqualTo(new Check(false, "request loop has not turned for 180001 ms (limit 180000)"));
    assertThat(health.ready().ok()).isFalse();
  }

  @Test
  void aFailedOrStoppedLoopIsDead() {
    loop = new TrainerHealth.Loop(true, false, new IllegalStateException("boom"), 0, 3);
    assertThat(health.live())
        .isEqualTo(new Check(false, "request loop failed: java.lang.IllegalStateException: boom"));
    loop = new TrainerHealth.Loop(true, false, null, 0, 3);
    assertThat(health.live()).isEqualTo(new Check(false, "worker stopped"));
  }

  @Test
  void failedTablesAreDeadEvenWhileStarting() {
    for (State dead :
        new State[] {State.ERROR, State.PENDING_ERROR, State.NOT_RUNNING, State.PENDING_SHUTDOWN}) {
      state = dead;
      assertThat(health.live()).isEqualTo(new Check(false, "Kafka Streams tables " + dead));
      loop = new TrainerHealth.Loop(false, true, null, 0, 0);
      assertThat(health.live().ok()).as("starting, %s", dead).isFalse();
      loop = new TrainerHealth.Loop(true, true, null, SECOND, 3);
    }
  }

  @Test
  void noLiveStreamThreadIsDead() {
    threads = 0;
    assertThat(health.live()).isEqualTo(new Check(false, "no Kafka Streams thread alive"));
  }

  @Test
  void aStreamsConsumerThatStoppedPollingIsDead() {
    polls = Map.of("w-tables-StreamThread-1-consumer", 2.0, "w-tables-global-consumer", 181.0);
    assertThat(health.live())
        .isEqualTo(
            new Check(
                false,
                "Kafka Streams consumer w-tables-global-consumer has not polled for 181 s (limit 180 s)"));
    polls = Map.of("w-tables-StreamThread-1-consumer", -1.0);
    assertThat(health.live().ok()).as("not polled yet").isTrue();
  }

  @Test
  void pollAgesComeFromTheStreamThreadsAndGlobalConsumersOnly() {
    Map<MetricName, Metric> metrics =
        Map.of(
            name("last-poll-seconds-ago", "consumer-metrics", "w-tables-StreamThread-1-consumer"),
            metric(3),
            name("last-poll-seconds-ago", "consumer-metrics", "w-tables-global-consumer"),
            metric(4),
            name(
                "last-poll-seconds-ago",
                "consumer-metrics",
                "w-tables-StreamThread-1-restore-consumer"),
            metric(900),
            name("last-poll-seconds-ago", "consumer-metrics", "w-tables-admin"),
            metric(900),
            name("time-between-poll-max", "consumer-metrics", "w-tables-global-consumer"),
            metric(900));
    assertThat(TrainerHealth.pollAges(metrics))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("w-tables-StreamThread-1-consumer", 3.0, "w-tables-global-consumer", 4.0));
  }

  private static MetricName name(String name, String group, String client) {
    return new MetricName(name, group, "", Map.of("client-id", client));
  }

  private static Metric metric(double v) {
    Value value = new Value();
    value.record(new MetricConfig(), v, 0);
    MetricName n = new MetricName("x", "g", "", Map.of());
    return new KafkaMetric(new Object(), n, value, new MetricConfig(), Time.SYSTEM);
  }
}
