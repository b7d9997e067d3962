package io.charstream.app.reliability;

import static io.charstream.app.generator.GeneratorFixture.request;
import static io.charstream.app.reliability.GeneratorFaultsIT.answeredCount;
import static io.charstream.app.reliability.GeneratorFaultsIT.assertEachAnsweredOnce;
import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.broker.EmbeddedBroker;
import io.charstream.app.generator.GeneratorFixture;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.schemas.message.GenerateRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The broker stopped and started again (same port, same data directory) while a generator is in
 * the middle of a batch: the worker and the clients reconnect, and every request, in flight or sent
 * after the restart, is answered exactly once. Its own broker, as restarting the shared one would
 * disturb other tests.
 */
class BrokerRestartIT {

  private static final Duration WAIT = Duration.ofSeconds(120);
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

  @Test
  void workersRideOutABrokerRestartAndAnswerEveryRequestOnce() throws Exception {
    try (GeneratorFixture f = new GeneratorFixture(broker)) {
      f.publishModel(1, 11L);
      GeneratorService g = f.startGenerator("restart", Map.of(GeneratorConfig.BATCH_CAPACITY, 4,
          GeneratorConfig.QUEUE_CAPACITY, 4));
      assertThat(g.awaitReady(WAIT)).isTrue();
      List<GenerateRequest> requests = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        GenerateRequest r = request("br-" + i, "KING", 500, i, null, null, i % 3 == 0);
        requests.add(r);
        f.send(r);
      }
      f.await(() -> answeredCount(f, requests) >= 3, WAIT, "first answers");
      int port = broker.port();
      long t0 = System.nanoTime();
      broker.restart();
      long restartMs = (System.nanoTime() - t0) / 1_000_000;
      assertThat(broker.port()).isEqualTo(port);
      assertThat(answeredCount(f, requests)).as("answered before the restart").isLessThan(requests.size());

      for (int i = 30; i < 40; i++) {
        GenerateRequest r = request("br-" + i, "QUEEN", 100, i, null, null, false);
        requests.add(r);
        f.send(r);
      }
      assertEachAnsweredOnce(f, requests);
      assertThat(g.liveness().ok()).as(g.liveness().reason()).isTrue();
      f.await(g::ready, WAIT, "the generator ready again");
      double aborted = g.meters().find("charstream.generator.transactions").tag("outcome", "aborted").counters()
          .stream().mapToDouble(c -> c.count()).sum();
      System.out.printf("broker restart: down and up again in %d ms; %d requests answered once; %.0f transactions"
          + " aborted and replayed%n", restartMs, requests.size(), aborted);
    }
  }
}
