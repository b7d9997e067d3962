package io.charstream.app.worker;

import static io.charstream.app.worker.GeneratorFixture.expected;
import static io.charstream.app.worker.GeneratorFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.broker.EmbeddedBroker;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import io.charstream.schemas.message.GenerateResponse.FinishReason;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The serving contract of issue 16 on a real in-process broker: cancels (tombstones), deadlines,
 * priorities, reply topics and trace headers, each answered exactly once.
 */
class GeneratorContractIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  /** The contract's longest request: still running when the test acts on it. */
  private static final int LONG = 1_000_000;

  private static EmbeddedBroker broker;

  @BeforeAll
  static void startBroker() {
    broker = EmbeddedBroker.start(EmbeddedBroker.Options.ephemeral());
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  /** True once {@code requestId} has streamed at least one committed chunk: it is running. */
  private static boolean streaming(GeneratorFixture f, String requestId) {
    return f.responsesOf(requestId).stream().anyMatch(r -> r.type() == GenerateResponse.Type.CHUNK);
  }

  @Test
  void aTombstoneCancelsARunningOrQueuedRequestOnceAndIsANoOpOtherwise() throws Exception {
    try (GeneratorFixture f = new GeneratorFixture(broker)) {
      f.publishModel(1, 11L);
      GeneratorService g =
          f.startGenerator(
              "cancel",
              Map.of(GeneratorConfig.BATCH_CAPACITY, 1, GeneratorConfig.LENGTH_MAX, LONG));
      GenerateRequest done = request("c-done", "KING", 20, 1, null, null, false);
      f.send(done);
      assertThat(f.awaitFinal("c-done", WAIT).text()).isEqualTo(expected(done, 11L));

      // One slot: c-long runs, c-queued waits behind it.
      GenerateRequest running = request("c-long", "KING", LONG, 2, null, null, true);
      GenerateRequest queued = request("c-queued", "KING", LONG, 3, null, null, false);
      f.send(running);
      f.send(queued);
      f.await(() -> streaming(f, "c-long"), WAIT, "c-long streaming");

      f.send("c-queued", null); // cancel the queued one: answered without work
      GenerateResponse q = f.awaitFinal("c-queued", WAIT);
      assertThat(q.finishReason()).isEqualTo(FinishReason.CANCELLED);
      assertThat(q.text()).isEmpty();
      assertThat(q.timings()).isNull();
      assertThat(f.finals("c-long")).as("c-long still running").isEmpty();

      f.send("c-long", null); // cancel the running one: answered with the text so far
      GenerateResponse c = f.awaitFinal("c-long", WAIT);
      assertThat(c.finishReason()).isEqualTo(FinishReason.CANCELLED);
      assertThat(c.text().length()).isPositive().isLessThan(LONG);
      assertThat(c.text())
          .isEqualTo(
              expected(request("c-long", "KING", c.text().length(), 2, null, null, true), 11L));
      assertThat(c.modelVersion()).isEqualTo(1L);
      assertThat(c.timings().totalMs()).isPositive();

      // Cancels of a finished and of an unknown request do nothing; the freed slot serves on.
      f.send("c-done", null);
      f.send("c-unknown", null);
      GenerateRequest after = request("c-after", "KING", 30, 4, null, null, false);
      f.send(after);
      assertThat(f.awaitFinal("c-after", WAIT).text()).isEqualTo(expected(after, 11L));

      f.stopGenerators();
      Map<String, List<GeneratorFixture.Final>> finals = f.committedFinals();
      for (String id : List.of("c-done", "c-long", "c-queued", "c-after")) {
        assertThat(finals.get(id)).as(id).hasSize(1);
      }
      assertThat(finals).doesNotContainKey("c-unknown");
      assertThat(f.deadLetters()).isEmpty();
      assertThat(
              g.meters()
                  .find("charstream.generator.requests")
                  .tag("outcome", "cancelled")
                  .counter()
                  .count())
          .isEqualTo(2.0);
    }
  }

  private static GenerateRequest timed(String id, int length, long seed, Long timeoutMs) {
    GenerateRequest r = request(id, "KING", length, seed, null, null, true);
    return new GenerateRequest(
        r.schemaVersion(),
        id,
        r.prompt(),
        r.length(),
        r.topN(),
        r.temperature(),
        r.randomSeed(),
        null,
        null,
        null,
        true,
        timeoutMs);
  }

  @Test
  void deadlinesAnswerQueuedRequestsWithoutWorkAndCutRunningOnes() throws Exception {
    try (GeneratorFixture f = new GeneratorFixture(broker)) {
      f.publishModel(1, 11L);
      GeneratorService g =
          f.startGenerator(
              "deadline",
              Map.of(
                  GeneratorConfig.BATCH_CAPACITY,
                  1,
                  GeneratorConfig.LENGTH_MAX,
                  LONG,
                  GeneratorConfig.QUEUE_MAX_WAIT_MS,
                  400L));
      GenerateRequest quick = timed("d-quick", 20, 1, 60_000L);
      f.send(quick);
      assertThat(f.awaitFinal("d-quick", WAIT).text()).isEqualTo(expected(quick, 11L));

      // One slot, taken by a request that runs until its deadline; three wait behind it.
      f.send(timed("d-long", LONG, 2, 2_000L));
      f.await(() -> streaming(f, "d-long"), WAIT, "d-long streaming");
      f.send(timed("d-1ms", 20, 3, 1L)); // expired before it is read
      f.send(timed("d-300ms", 20, 4, 300L)); // expires while queued
      f.send(timed("d-unbounded", 20, 5, null)); // queue.max-wait-ms 400 applies
      for (String id : List.of("d-1ms", "d-300ms", "d-unbounded")) {
        GenerateResponse r = f.awaitFinal(id, WAIT);
        assertThat(r.finishReason()).as(id).isEqualTo(FinishReason.ERROR);
        assertThat(r.error().kind()).as(id).isEqualTo("deadline-exceeded");
        assertThat(r.text()).isEmpty();
      }
      assertThat(f.awaitFinal("d-unbounded", WAIT).error().message())
          .contains("queue.max-wait-ms of 400");
      assertThat(f.awaitFinal("d-300ms", WAIT).error().message()).contains("timeoutMs of 300");

      GenerateResponse cut = f.awaitFinal("d-long", WAIT);
      assertThat(cut.finishReason()).isEqualTo(FinishReason.DEADLINE);
      assertThat(cut.text().length()).isPositive().isLessThan(LONG);
      assertThat(cut.text())
          .isEqualTo(expected(timed("d-long", cut.text().length(), 2, null), 11L));
      assertThat(cut.timings().totalMs()).isGreaterThanOrEqualTo(2_000.0);

      // Without timeoutMs and with a free slot, nothing changes.
      GenerateRequest after = request("d-after", "KING", 30, 6, null, null, false);
      f.send(after);
      GenerateResponse a = f.awaitFinal("d-after", WAIT);
      assertThat(a.text()).isEqualTo(expected(after, 11L));
      assertThat(a.finishReason()).isEqualTo(FinishReason.LENGTH);

      f.stopGenerators();
      Map<String, List<GeneratorFixture.Final>> finals = f.committedFinals();
      for (String id : List.of("d-quick", "d-long", "d-1ms", "d-300ms", "d-unbounded", "d-after")) {
        assertThat(finals.get(id)).as(id).hasSize(1);
      }
      assertThat(
              g.meters()
                  .find("charstream.generator.errors")
                  .tag("kind", "deadline-exceeded")
                  .counter()
                  .count())
          .isEqualTo(3.0);
      assertThat(
              g.meters()
                  .find("charstream.generator.requests")
                  .tag("outcome", "deadline")
                  .counter()
                  .count())
          .isEqualTo(1.0);
    }
  }
}
