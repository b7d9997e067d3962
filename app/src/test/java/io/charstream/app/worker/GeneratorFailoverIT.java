package io.charstream.app.worker;

import static io.charstream.app.worker.GeneratorFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.it.OwnBroker;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.schemas.message.GenerateRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Delivery on a real broker: several workers in one group, and a worker that dies mid-batch. A
 * read_committed reader must see exactly one final response per request, with the right text.
 */
class GeneratorFailoverIT {

  private static final Duration WAIT = Duration.ofSeconds(90);

  /** Characters of a long request. */
  // Long enough that the fused step (hundreds of thousands of chars/s) is still busy when a worker
  // goes.
  private static final int LONG = 100_000;

  /**
   * The kill test's requests: the contract's longest, so that a request streaming when the
   * collector last looked is still running when the kill lands, however fast generation gets.
   */
  private static final int KILL_LENGTH = 1_000_000;

  @RegisterExtension static final OwnBroker BROKER = OwnBroker.abortingDeadTransactionsQuickly();

  /** Exactly once, counted after the response topic was read to its end; who answered each. */
  private static Map<String, String> assertEachAnsweredOnceCorrectly(
      GeneratorFixture f, List<GenerateRequest> requests) {
    return f.assertEachAnsweredOnce(requests, 11L, WAIT);
  }

  /** Requests the victim has streamed, with less than half of their characters committed. */
  private static java.util.Set<String> halfDone(GeneratorFixture f) {
    java.util.Set<String> out = new java.util.HashSet<>();
    f.streamedChars("victim")
        .forEach(
            (id, chars) -> {
              if (chars < KILL_LENGTH / 2) {
                out.add(id);
              }
            });
    out.removeAll(f.answeredBy("victim"));
    return out;
  }

  /** Committed answers of {@code instance} among {@code answeredBy}. */
  private static long answered(Map<String, String> answeredBy, String instance) {
    return answeredBy.values().stream().filter(instance::equals).count();
  }

  @Test
  void twoWorkersInOneGroupShareThePartitionsAndAnswerEachRequestOnce() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(BROKER.get())) {
      GeneratorService a = f.startGenerator("share-a", Map.of(GeneratorConfig.BATCH_CAPACITY, 4));
      GeneratorService b = f.startGenerator("share-b", Map.of(GeneratorConfig.BATCH_CAPACITY, 4));
      assertThat(a.awaitReady(WAIT)).isTrue();
      assertThat(b.awaitReady(WAIT)).isTrue();
      f.await(() -> a.readiness().ok() && b.readiness().ok(), WAIT, "both ready");
      List<GenerateRequest> requests =
          f.sendEach(0, 40, i -> request("share-" + i, "KING", 30, i, null, null, i % 5 == 0));
      for (GenerateRequest r : requests) {
        f.awaitFinal(r.requestId(), WAIT);
      }
      f.stopGenerators();
      Map<String, String> by = assertEachAnsweredOnceCorrectly(f, requests);
      assertThat(answered(by, "share-a")).isPositive();
      assertThat(answered(by, "share-b")).isPositive();
      assertThat(answered(by, "share-a") + answered(by, "share-b")).isEqualTo(40);
    }
  }

  @Test
  void aWorkerKilledMidBatchLosesNothingAndDuplicatesNothing() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(BROKER.get())) {
      // Long requests (the tiny model generates tens of thousands of characters a second): when the
      // first answers are visible, most requests are still running or waiting.
      GeneratorService victim =
          f.startGenerator("victim", GeneratorFixture.slots(4, 4, KILL_LENGTH));
      assertThat(victim.awaitReady(WAIT)).isTrue();
      List<GenerateRequest> requests =
          f.sendEach(
              0, 12, i -> request("kill-" + i, "KING", KILL_LENGTH, i, null, null, i % 3 == 0));
      // Kill it once some answers are committed and a request it streams is less than half done:
      // the rest of that request takes far longer than the collector lags behind the topic, so the
      // kill lands on live work however fast generation is.
      f.await(
          () -> !f.answeredBy("victim").isEmpty() && !halfDone(f).isEmpty(),
          WAIT,
          "first answers, and a streamed request less than half done");
      java.util.Set<String> streamedByVictim = halfDone(f);
      double busy = GeneratorFixture.gauge(victim, "charstream.generator.slots.active");
      victim.kill();
      assertThat(busy).as("the victim's busy slots at the kill").isPositive();

      GeneratorService heir =
          f.startGenerator(
              "heir",
              Map.of(GeneratorConfig.BATCH_CAPACITY, 8, GeneratorConfig.LENGTH_MAX, KILL_LENGTH));
      for (GenerateRequest r : requests) {
        f.awaitFinal(r.requestId(), WAIT);
      }
      f.stopGenerators();
      Map<String, String> by = assertEachAnsweredOnceCorrectly(f, requests);
      assertThat(answered(by, "heir")).as("requests the heir committed answers of").isPositive();
      // The heir answered requests the victim was generating when it died.
      assertThat(streamedByVictim.stream().filter(id -> "heir".equals(by.get(id))).count())
          .as("requests streamed by the victim and answered by the heir")
          .isPositive();
    }
  }

  @Test
  void aGracefulShutdownFinishesOrHandsBackItsWorkWhileAnotherWorkerJoins() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(BROKER.get())) {
      // A drain time too short to finish everything: what is left is handed back uncommitted.
      GeneratorService leaving =
          f.startGenerator(
              "leaving",
              GeneratorFixture.with(
                  GeneratorFixture.slots(4, 4, LONG), GeneratorConfig.SHUTDOWN_DRAIN_MS, 300L));
      assertThat(leaving.awaitReady(WAIT)).isTrue();
      List<GenerateRequest> requests =
          f.sendEach(0, 16, i -> request("leave-" + i, "KING", LONG, i, null, null, i % 4 == 0));
      f.await(
          () -> requests.stream().filter(r -> !f.finals(r.requestId()).isEmpty()).count() >= 2,
          WAIT,
          "first answers");
      // A second worker joins (a cooperative rebalance moves partitions away mid-work) and the
      // first
      // is stopped as SIGTERM stops it, long before it could have generated all 16 long requests:
      // what it does not finish within its drain time is handed back and answered by the other.
      GeneratorService staying =
          f.startGenerator(
              "staying",
              Map.of(GeneratorConfig.BATCH_CAPACITY, 8, GeneratorConfig.LENGTH_MAX, LONG));
      leaving.close();
      assertThat(leaving.liveness().ok()).isFalse();
      for (GenerateRequest r : requests) {
        f.awaitFinal(r.requestId(), WAIT);
      }
      f.stopGenerators();
      Map<String, String> by = assertEachAnsweredOnceCorrectly(f, requests);
      assertThat(answered(by, "leaving")).isLessThan(16);
      assertThat(answered(by, "staying")).isPositive();
    }
  }

  @Test
  void requestsLongerThanMaxPollIntervalNeitherCostTheMembershipNorDuplicate() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(BROKER.get())) {
      // Each request takes longer than max.poll.interval.ms, and with one slot and a queue of one
      // the partitions stay paused most of the time: the worker must keep polling throughout.
      GeneratorService g =
          f.startGenerator(
              "slow",
              GeneratorFixture.slots(1, 1, 1_000_000),
              Map.of("CHARSTREAM_KAFKA_MAX_POLL_INTERVAL_MS", "1500"));
      assertThat(g.awaitReady(WAIT)).isTrue();
      List<GenerateRequest> requests =
          f.sendEach(
              0,
              4,
              i -> {
                // Long enough for the fused step (about 300,000 chars/s at batch 1 here) to stay
                // busy for seconds.
                return request("slow-" + i, "KING", 600_000, i, null, null, i == 0);
              });
      assertEachAnsweredOnceCorrectly(f, requests);
      // The last request waited for the others: the worker was busy (and mostly paused) for longer
      // than max.poll.interval.ms, yet kept its partitions.
      assertThat(f.finals("slow-3").get(0).timings().totalMs()).isGreaterThan(1500.0);
      assertThat(counter(g, "charstream.generator.handed.back")).isZero();
      assertThat(
              g.meters()
                  .find("charstream.generator.transactions")
                  .tag("outcome", "aborted")
                  .counter())
          .isNull();
    }
  }

  private static double counter(GeneratorService g, String name) {
    io.micrometer.core.instrument.Counter c = g.meters().find(name).counter();
    return c == null ? 0 : c.count();
  }
}
