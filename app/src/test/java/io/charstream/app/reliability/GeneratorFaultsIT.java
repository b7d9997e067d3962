package io.charstream.app.reliability;

import static io.charstream.app.worker.GeneratorFixture.expected;
import static io.charstream.app.worker.GeneratorFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.it.KafkaBroker;
import io.charstream.app.worker.GeneratorFixture;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Generators dying and joining while requests flow, on a real broker. The fixture reads responses
 * with {@code isolation.level=read_committed}; every request must have exactly one final record,
 * with the text its seed gives (a request answered twice, or by a half-finished attempt, fails).
 */
class GeneratorFaultsIT {

  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();

  private static final Duration WAIT = Duration.ofSeconds(90);

  static double answered(GeneratorService g) {
    return g.meters().find("charstream.generator.requests").counters().stream()
        .mapToDouble(c -> c.count())
        .sum();
  }

  static long answeredCount(GeneratorFixture f, List<GenerateRequest> requests) {
    return requests.stream().filter(r -> !f.finals(r.requestId()).isEmpty()).count();
  }

  /** Every request has exactly one final record, with the text its seed gives on model seed 11. */
  static void assertEachAnsweredOnce(GeneratorFixture f, List<GenerateRequest> requests) {
    for (GenerateRequest r : requests) {
      f.awaitFinal(r.requestId(), WAIT);
    }
    for (GenerateRequest r : requests) {
      List<GenerateResponse> finals = f.finals(r.requestId());
      assertThat(finals).as("final records of " + r.requestId()).hasSize(1);
      assertThat(finals.get(0).text()).as(r.requestId()).isEqualTo(expected(r, 11L));
    }
  }

  @Test
  void aGeneratorKilledMidBatchHasItsRequestsAnsweredOnceByTheOtherMemberOfTheGroup()
      throws Exception {
    try (GeneratorFixture f = new GeneratorFixture(KAFKA.broker())) {
      f.publishModel(1, 11L);
      Map<String, Object> small =
          Map.of(GeneratorConfig.BATCH_CAPACITY, 4, GeneratorConfig.QUEUE_CAPACITY, 4);
      GeneratorService victim = f.startGenerator("victim", small);
      GeneratorService survivor = f.startGenerator("survivor", small);
      assertThat(victim.awaitReady(WAIT)).isTrue();
      assertThat(survivor.awaitReady(WAIT)).isTrue();
      f.await(() -> victim.ready() && survivor.ready(), WAIT, "both ready");
      List<GenerateRequest> requests = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        GenerateRequest r =
            request(
                "k-" + i, "KING", 5_000, i, null, null, i % 4 == 0); // seconds of work on 8 slots
        requests.add(r);
        f.send(r);
      }
      f.await(
          () -> answeredCount(f, requests) >= 4 && answered(victim) >= 1,
          WAIT,
          "the victim's first answers");
      victim.kill();
      long before = answeredCount(f, requests);
      assertThat(before).as("requests answered before the kill").isLessThan(requests.size());

      assertEachAnsweredOnce(f, requests);
      // The survivor answered what the victim held (the victim's uncommitted work is invisible).
      assertThat(answered(survivor)).isGreaterThanOrEqualTo(requests.size() - answered(victim));
      assertThat(survivor.liveness().ok()).isTrue();
    }
  }

  @Test
  void aRebalanceUnderLoadAnswersEveryRequestOnce() throws Exception {
    try (GeneratorFixture f = new GeneratorFixture(KAFKA.broker())) {
      f.publishModel(1, 11L);
      Map<String, Object> small =
          Map.of(GeneratorConfig.BATCH_CAPACITY, 4, GeneratorConfig.QUEUE_CAPACITY, 4);
      GeneratorService first = f.startGenerator("first", small);
      assertThat(first.awaitReady(WAIT)).isTrue();
      List<GenerateRequest> requests = new ArrayList<>();
      GeneratorService added = null;
      boolean removed = false;
      int total = 160;
      int window = 12;
      // Closed loop: keep `window` requests outstanding; add a member, then remove the first one,
      // while requests keep flowing.
      while (answeredCount(f, requests) < total) {
        long done = answeredCount(f, requests);
        while (requests.size() < total && requests.size() - done < window) {
          int i = requests.size();
          GenerateRequest r = request("rb-" + i, "ROMEO", 150, i, null, null, i % 5 == 0);
          requests.add(r);
          f.send(r);
        }
        if (added == null && done >= 30) {
          added = f.startGenerator("added", small);
        }
        if (added != null && !removed && done >= 80 && answered(added) > 0) {
          first.close(); // graceful: finishes or hands back its requests, commits, leaves the group
          removed = true;
        }
        f.await(
            () -> answeredCount(f, requests) > done || requests.size() == total && done == total,
            WAIT,
            "progress after " + done + " answers");
      }
      assertThat(removed).as("the first generator was removed under load").isTrue();
      assertEachAnsweredOnce(f, requests);
      assertThat(answered(first)).isPositive();
      assertThat(answered(added)).isPositive();
      assertThat(answered(first) + answered(added)).isGreaterThanOrEqualTo(total);
    }
  }
}
