package io.charstream.app.reliability;

import static io.charstream.app.worker.GeneratorFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.it.KafkaBroker;
import io.charstream.app.worker.GeneratorFixture;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.schemas.message.GenerateRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Generators dying and joining while requests flow, on a real broker. The fixture reads responses
 * with {@code isolation.level=read_committed}; every request must have exactly one final record,
 * with the text its seed gives (a request answered twice, or by a half-finished attempt, fails).
 */
class GeneratorFaultsIT {

  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();

  private static final Duration WAIT = Duration.ofSeconds(120);

  /** Characters of a long request (length.max here). */
  private static final int LONG = 100_000;

  static long answeredCount(GeneratorFixture f, List<GenerateRequest> requests) {
    return requests.stream().filter(r -> !f.finals(r.requestId()).isEmpty()).count();
  }

  /**
   * Every request has exactly one final record, with the text its seed gives on model seed 11,
   * counted after the response topic was read to its end; returns who answered each request.
   */
  static Map<String, String> assertEachAnsweredOnce(
      GeneratorFixture f, List<GenerateRequest> requests) {
    return f.assertEachAnsweredOnce(requests, 11L, WAIT);
  }

  /**
   * The in-process kill (a flag the loop checks between turns: no commit, no goodbye, the group
   * notices by session timeout). GeneratorCrashIT kills a real process with SIGKILL.
   */
  @Test
  void aGeneratorKilledMidBatchHasItsRequestsAnsweredOnceByTheOtherMemberOfTheGroup()
      throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(KAFKA.broker())) {
      Map<String, Object> small = GeneratorFixture.slots(4, 4, LONG);
      GeneratorService victim = f.startGenerator("victim", small);
      GeneratorService survivor = f.startGenerator("survivor", small);
      assertThat(victim.awaitReady(WAIT)).isTrue();
      assertThat(survivor.awaitReady(WAIT)).isTrue();
      f.await(() -> victim.ready() && survivor.ready(), WAIT, "both ready");
      List<GenerateRequest> requests =
          f.sendEach(
              0,
              40,
              i -> {
                // A quarter long and streamed: the kill waits for the victim to stream some of
                // them.
                boolean streamed = i % 4 == 0;
                return request("k-" + i, "KING", streamed ? LONG : 2_000, i, null, null, streamed);
              });
      f.await(
          () -> f.streamedBy("victim").size() >= 2 && !f.answeredBy("victim").isEmpty(),
          WAIT,
          "the victim streaming two long requests, and its first answer");
      double busy = GeneratorFixture.gauge(victim, "charstream.generator.slots.active");
      victim.kill();
      assertThat(busy).as("the victim's busy slots at the kill").isPositive();
      Set<String> streamedByVictim = f.streamedBy("victim");

      for (GenerateRequest r : requests) {
        f.awaitFinal(r.requestId(), WAIT);
      }
      assertThat(survivor.liveness().ok()).isTrue();
      f.stopGenerators();
      Map<String, String> answeredBy = assertEachAnsweredOnce(f, requests);
      // The survivor answered requests the victim was generating when it died (its uncommitted
      // work is invisible): the kill hit live work.
      assertThat(
              streamedByVictim.stream().filter(id -> "survivor".equals(answeredBy.get(id))).count())
          .as("requests streamed by the victim and answered by the survivor")
          .isPositive();
      assertThat(GeneratorFixture.perInstance(answeredBy)).containsKeys("victim", "survivor");
    }
  }

  @Test
  void aRebalanceUnderLoadAnswersEveryRequestOnce() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(KAFKA.broker())) {
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
        if (added != null && !removed && done >= 80 && !f.answeredBy("added").isEmpty()) {
          first.close(); // graceful: finishes or hands back its requests, commits, leaves the group
          removed = true;
        }
        f.await(
            () -> answeredCount(f, requests) > done || requests.size() == total && done == total,
            WAIT,
            "progress after " + done + " answers");
      }
      assertThat(removed).as("the first generator was removed under load").isTrue();
      f.stopGenerators();
      Map<String, Long> counts = GeneratorFixture.perInstance(assertEachAnsweredOnce(f, requests));
      // Committed answers per instance (each request counted once, above).
      assertThat(counts.get("first")).as("answers of " + counts).isPositive();
      assertThat(counts.get("added")).as("answers of " + counts).isPositive();
      assertThat(counts.get("first") + counts.get("added")).isEqualTo(total);
    }
  }
}
