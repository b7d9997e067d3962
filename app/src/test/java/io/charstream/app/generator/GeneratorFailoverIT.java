package io.charstream.app.generator;

import static io.charstream.app.generator.GeneratorFixture.expected;
import static io.charstream.app.generator.GeneratorFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.broker.EmbeddedBroker;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Delivery on a real broker: several workers in one group, and a worker that dies mid-batch. A
 * read_committed reader must see exactly one final response per request, with the right text.
 */
class GeneratorFailoverIT {

  private static final Duration WAIT = Duration.ofSeconds(90);
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

  private static double answered(GeneratorService g) {
    return g.meters().find("charstream.generator.requests").counters().stream().mapToDouble(c -> c.count()).sum();
  }

  private static void assertEachAnsweredOnceCorrectly(GeneratorFixture f, List<GenerateRequest> requests) {
    for (GenerateRequest r : requests) {
      f.awaitFinal(r.requestId(), WAIT);
    }
    for (GenerateRequest r : requests) {
      List<GenerateResponse> finals = f.finals(r.requestId());
      assertThat(finals).as("final responses of " + r.requestId()).hasSize(1);
      assertThat(finals.get(0).text()).as(r.requestId()).isEqualTo(expected(r, 11L));
    }
  }

  @Test
  void twoWorkersInOneGroupShareThePartitionsAndAnswerEachRequestOnce() throws Exception {
    try (GeneratorFixture f = new GeneratorFixture(broker)) {
      f.publishModel(1, 11L);
      GeneratorService a = f.startGenerator("share-a", Map.of(GeneratorConfig.BATCH_CAPACITY, 4));
      GeneratorService b = f.startGenerator("share-b", Map.of(GeneratorConfig.BATCH_CAPACITY, 4));
      assertThat(a.awaitReady(WAIT)).isTrue();
      assertThat(b.awaitReady(WAIT)).isTrue();
      f.await(() -> a.readiness().ok() && b.readiness().ok(), WAIT, "both ready");
      List<GenerateRequest> requests = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        GenerateRequest r = request("share-" + i, "KING", 30, i, null, null, i % 5 == 0);
        requests.add(r);
        f.send(r);
      }
      assertEachAnsweredOnceCorrectly(f, requests);
      assertThat(answered(a)).isPositive();
      assertThat(answered(b)).isPositive();
      assertThat(answered(a) + answered(b)).isEqualTo(40.0);
    }
  }

  @Test
  void aWorkerKilledMidBatchLosesNothingAndDuplicatesNothing() throws Exception {
    try (GeneratorFixture f = new GeneratorFixture(broker)) {
      f.publishModel(1, 11L);
      GeneratorService victim = f.startGenerator("victim", Map.of(GeneratorConfig.BATCH_CAPACITY, 4,
          GeneratorConfig.QUEUE_CAPACITY, 4));
      assertThat(victim.awaitReady(WAIT)).isTrue();
      List<GenerateRequest> requests = new ArrayList<>();
      for (int i = 0; i < 24; i++) {
        GenerateRequest r = request("kill-" + i, "KING", 400, i, null, null, i % 3 == 0);
        requests.add(r);
        f.send(r);
      }
      // Kill it once some answers are committed and others are mid-generation.
      f.await(() -> requests.stream().filter(r -> !f.finals(r.requestId()).isEmpty()).count() >= 3, WAIT,
          "first answers");
      victim.kill();
      long answeredBefore = requests.stream().filter(r -> !f.finals(r.requestId()).isEmpty()).count();
      assertThat(answeredBefore).isLessThan(requests.size());

      GeneratorService heir = f.startGenerator("heir", Map.of(GeneratorConfig.BATCH_CAPACITY, 8));
      assertEachAnsweredOnceCorrectly(f, requests);
      assertThat(answered(heir)).isPositive();
    }
  }
}
