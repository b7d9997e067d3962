package io.charstream.app.reliability;

import static io.charstream.app.worker.GeneratorFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.Main;
import io.charstream.app.broker.EmbeddedBroker;
import io.charstream.app.it.Await;
import io.charstream.app.it.FaultProxy;
import io.charstream.app.it.TopicReader;
import io.charstream.app.worker.GeneratorFixture;
import io.charstream.app.worker.TrainerFixture;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.schemas.Topics;
import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.TrainingStatus;
import io.charstream.trainer.TrainerConfig;
import io.charstream.trainer.TrainerWorker;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Network faults with both sides up: a generator reaches the broker only through a {@link
 * FaultProxy} (the broker advertises the proxy on a listener of its own, so every connection of
 * that generator crosses it), while the test's producer, its read_committed collector and a second
 * generator connect directly.
 */
class NetworkPartitionIT {
  private static final Duration WAIT = Duration.ofSeconds(180);
  private static final int LONG = 100_000;
  private static EmbeddedBroker broker;
  private static FaultProxy proxy;

  @BeforeAll
  static void start() throws IOException {
    int listener = freePort();
    proxy = new FaultProxy(0, listener);
    broker =
        EmbeddedBroker.start(
            new EmbeddedBroker.Options(
                    0,
                    null,
                    io.charstream.schemas.Topics.defaults(),
                    // A cut-off worker's open transaction is aborted after its
                    // transaction.timeout.ms (5 s in the fixture), checked this often.
                    Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"))
                .withProxiedListener(listener, proxy.port()));
  }

  @AfterAll
  static void stop() {
    if (proxy != null) proxy.close();
    if (broker != null) broker.close();
  }

  /**
   * The victim is cut off while it streams long requests, for longer than its session timeout (6
   * s): the survivor takes its partitions over and answers its requests; then the network heals,
   * the victim finds itself out of the group and its transaction aborted, rejoins, and answers
   * again. Every request gets exactly one committed final with the right text: 0 lost, 0
   * duplicated.
   */
  @Test
  void aGeneratorCutOffBeyondItsSessionTimeoutLosesAndDuplicatesNothingAndComesBack()
      throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(broker)) {
      Map<String, Object> small = GeneratorFixture.slots(4, 4, LONG);
      Map<String, Object> viaProxy =
          GeneratorFixture.with(small, "bootstrap.servers", "127.0.0.1:" + proxy.port());
      GeneratorService victim = f.startGenerator("victim", viaProxy);
      GeneratorService survivor = f.startGenerator("survivor", small);
      assertThat(victim.awaitReady(WAIT)).isTrue();
      assertThat(survivor.awaitReady(WAIT)).isTrue();
      f.await(() -> victim.ready() && survivor.ready(), WAIT, "both ready");
      assertThat(proxy.connections()).as("the victim's connections through the proxy").isPositive();
      List<GenerateRequest> requests =
          f.sendEach(
              0,
              40,
              i -> {
                boolean streamed = i % 4 == 0;
                return request(
                    "cut-" + i, "KING", streamed ? LONG : 2_000, i, null, null, streamed);
              });
      f.await(
          () -> f.streamedBy("victim").size() >= 2 && !f.answeredBy("victim").isEmpty(),
          WAIT,
          "the victim streaming two long requests, and its first answer");
      double busy = GeneratorFixture.gauge(victim, "charstream.generator.slots.active");
      Set<String> streamedBeforeCut = f.streamedBy("victim");
      long cutAt = System.nanoTime();
      proxy.cut();
      assertThat(busy).as("the victim's busy slots at the cut").isPositive();
      // The partition lasts until the survivor has answered a request the victim was streaming:
      // the group gave the victim's partitions away, so the cut outlasted the session timeout.
      f.await(
          () -> streamedBeforeCut.stream().anyMatch(id -> f.answeredBy("survivor").contains(id)),
          WAIT,
          "the survivor answering a request the cut-off victim was streaming");
      long takeoverMs = (System.nanoTime() - cutAt) / 1_000_000;
      for (GenerateRequest r : requests) f.awaitFinal(r.requestId(), WAIT);
      long allAnsweredMs = (System.nanoTime() - cutAt) / 1_000_000;
      long healAt = System.nanoTime();
      proxy.heal();

      // Back on the network, the victim rejoins and takes work again: requests keep coming until
      // it has committed an answer after the heal.
      Set<String> beforeHeal = Set.copyOf(f.answeredBy("victim"));
      List<GenerateRequest> after = new ArrayList<>();
      f.await(
          () -> {
            // Closed loop: four more once the last four are answered.
            if (after.size() < 400
                && after.stream().allMatch(r -> !f.finals(r.requestId()).isEmpty())) {
              for (int i = 0; i < 4; i++) {
                GenerateRequest r =
                    request(
                        "after-" + after.size(),
                        "KING",
                        500,
                        1000 + after.size(),
                        null,
                        null,
                        false);
                after.add(r);
                f.send(r);
              }
            }
            return f.answeredBy("victim").stream().anyMatch(id -> !beforeHeal.contains(id));
          },
          WAIT,
          "the victim answering again after the heal");
      long rejoinMs = (System.nanoTime() - healAt) / 1_000_000;
      assertThat(victim.liveness().ok()).as(victim.liveness().reason()).isTrue();
      assertThat(survivor.liveness().ok()).isTrue();
      for (GenerateRequest r : after) f.awaitFinal(r.requestId(), WAIT);
      f.stopGenerators();
      List<GenerateRequest> all = new ArrayList<>(requests);
      all.addAll(after);
      f.assertEachAnsweredOnce(all, 11L, WAIT);
      System.out.printf(
          "network partition: %d requests before, %d after; survivor took over %d ms after the cut,"
              + " all answered %d ms after it; the victim answered again %d ms after the heal%n",
          requests.size(), after.size(), takeoverMs, allAnsweredMs, rejoinMs);
    }
  }

  /**
   * 100 ms added to every chunk each way (about 200 ms per round trip) and one of the generator's
   * connections reset every 500 ms, while a closed loop keeps 8 requests outstanding: every request
   * is answered once, with the right text.
   */
  @Test
  void latencyAndConnectionResetsUnderLoadLoseAndDuplicateNothing() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(broker)) {
      Map<String, Object> viaProxy =
          Map.of(
              GeneratorConfig.BATCH_CAPACITY,
              8,
              GeneratorConfig.QUEUE_CAPACITY,
              8,
              "bootstrap.servers",
              "127.0.0.1:" + proxy.port());
      GeneratorService g = f.startGenerator("slow-net", viaProxy);
      assertThat(g.awaitReady(WAIT)).isTrue();
      long resetsBefore = proxy.resets();
      proxy.latencyMs(100);
      java.util.Random random = new java.util.Random(5);
      List<GenerateRequest> requests = new ArrayList<>();
      int total = 80;
      long t0 = System.nanoTime();
      long[] nextReset = {t0};
      try {
        f.await(
            () -> {
              long done = requests.stream().filter(r -> !f.finals(r.requestId()).isEmpty()).count();
              while (requests.size() < total && requests.size() - done < 8) {
                GenerateRequest r =
                    request(
                        "slow-" + requests.size(),
                        "KING",
                        1_000,
                        requests.size(),
                        null,
                        null,
                        false);
                requests.add(r);
                f.send(r);
              }
              if (System.nanoTime() >= nextReset[0]) {
                proxy.resetRandom(random);
                nextReset[0] += Duration.ofMillis(500).toNanos();
              }
              if (!g.liveness().ok())
                throw new AssertionError("the generator is not live: " + g.liveness().reason());
              return done >= total;
            },
            WAIT,
            total + " requests answered through latency and resets");
      } finally {
        proxy.latencyMs(0);
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      long resets = proxy.resets() - resetsBefore;
      assertThat(resets).as("connections reset during the load").isGreaterThan(5);
      f.stopGenerators();
      f.assertEachAnsweredOnce(requests, 11L, WAIT);
      System.out.printf(
          "latency 100 ms each way, %d connections reset: %d requests answered once each in %d ms%n",
          resets, total, ms);
    }
  }

  /**
   * A trainer reaching the broker through the proxy is cut off mid-job until its request group has
   * no member left (beyond the session timeout), then healed: the job ends once, with one {@code
   * completed}; it was started from scratch once (a restart after the partition resumes from its
   * last saved state) and every epoch was checkpointed exactly once.
   */
  @Test
  void aTrainerCutOffMidJobFinishesItOnceWhenTheNetworkHeals(@TempDir Path dir) throws Exception {
    Topics topics = new Topics("cut-trainer.");
    broker.createTopics(topics);
    String group = "cut-trainer-group";
    EnvConfig.Builder b =
        EnvConfig.builder(TrainerConfig.DEF)
            .env(
                Map.of(
                    "CHARSTREAM_KAFKA_SESSION_TIMEOUT_MS", "6000",
                    "CHARSTREAM_KAFKA_HEARTBEAT_INTERVAL_MS", "1000"));
    Map.<String, Object>of(
            CommonKeys.BOOTSTRAP_SERVERS,
            "127.0.0.1:" + proxy.port(),
            CommonKeys.TOPIC_PREFIX,
            topics.prefix(),
            TrainerConfig.GROUP_ID,
            group,
            TrainerConfig.APPLICATION_ID,
            "cut-trainer-index",
            TrainerConfig.WORKER_ID,
            "cut-trainer",
            TrainerConfig.STATE_DIR,
            dir.resolve("state").toString(),
            TrainerConfig.CORPUS_WAIT_MS,
            3_000L,
            TrainerConfig.HTTP_PORT,
            -1)
        .forEach(b::override);
    TrainerWorker trainer = TrainerWorker.start(b.build());
    try (Admin admin = broker.admin();
        TopicReader<String, TrainingStatus> status =
            new TopicReader<>(broker.adminClientProps(), topics.trainingStatus())) {
      Path corpus = Files.writeString(dir.resolve("c.txt"), TrainerFixture.corpus(20_000, 3));
      String[] at = {
        "--bootstrap-servers", broker.bootstrapServers(), "--topic-prefix", topics.prefix()
      };
      assertThat(cli(at, "corpus", "put", "--corpus-id", "c", corpus.toString())).isZero();
      assertThat(cli(at, TrainerFixture.tinySubmit("cut-model", "c", "job-cut", 10))).isZero();
      status.await(
          WAIT,
          "job-cut in its second epoch",
          r ->
              r.key().equals("job-cut")
                  && r.value() instanceof TrainingStatus.Progress p
                  && p.epoch() >= 2);
      long cutAt = System.nanoTime();
      long cutWallMs = System.currentTimeMillis();
      proxy.cut();
      Await.until(
          WAIT,
          "the trainer's group empty (its session timed out)",
          () -> groupEmpty(admin, group));
      long cutMs = (System.nanoTime() - cutAt) / 1_000_000;
      long healAt = System.nanoTime();
      proxy.heal();
      TrainerFixture.awaitEnd(status, "job-cut", WAIT, TrainingStatus.class);
      long recoveryMs = (System.nanoTime() - healAt) / 1_000_000;
      // The request was handled for good once the group's committed offsets reach the end: a
      // second run would have ended (and said so) before that commit.
      Await.until(
          WAIT, "the training request committed", () -> requestsCommitted(admin, group, topics));
      status.poll();
      List<TrainingStatus> events =
          status.values().stream().filter(e -> e.jobId().equals("job-cut")).toList();
      assertThat(events.stream().filter(TrainingStatus::terminal).toList())
          .singleElement()
          .isInstanceOf(TrainingStatus.Completed.class);
      TrainingStatus.Completed done =
          (TrainingStatus.Completed)
              events.stream().filter(TrainingStatus::terminal).findFirst().orElseThrow();
      assertThat(done.timestampMs()).as("the job still ran at the cut").isGreaterThan(cutWallMs);
      List<TrainingStatus.Accepted> accepted =
          events.stream()
              .filter(TrainingStatus.Accepted.class::isInstance)
              .map(TrainingStatus.Accepted.class::cast)
              .toList();
      List<Integer> checkpointEpochs =
          events.stream()
              .filter(TrainingStatus.CheckpointSaved.class::isInstance)
              .map(e -> ((TrainingStatus.CheckpointSaved) e).epoch())
              .toList();
      System.out.printf(
          "trainer cut: group empty %d ms after the cut; job completed %d ms after the heal;"
              + " accepted %d time(s) (resumed from %s), checkpoint epochs %s%n",
          cutMs,
          recoveryMs,
          accepted.size(),
          accepted.stream().map(a -> String.valueOf(a.resumedFrom())).toList(),
          checkpointEpochs);
      // No epoch trained (and checkpointed) twice: one checkpoint per epoch, in order.
      // Started from scratch once; losing its partition with the group made the trainer hand the
      // job over (to itself, after the heal), and any later start resumes from a saved state.
      assertThat(accepted.get(0).resumedFrom()).isNull();
      assertThat(accepted.subList(1, accepted.size()))
          .allSatisfy(a -> assertThat(a.resumedFrom()).isNotNull());
      assertThat(checkpointEpochs).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
      assertThat(trainer.liveness().ok()).as(trainer.liveness().reason()).isTrue();
    } finally {
      trainer.close();
    }
  }

  private static boolean requestsCommitted(Admin admin, String group, Topics topics) {
    try {
      var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      var parts =
          admin
              .describeTopics(List.of(topics.trainingRequests().name()))
              .allTopicNames()
              .get()
              .get(topics.trainingRequests().name())
              .partitions()
              .stream()
              .map(
                  p ->
                      new org.apache.kafka.common.TopicPartition(
                          topics.trainingRequests().name(), p.partition()))
              .toList();
      var ends =
          admin
              .listOffsets(
                  parts.stream()
                      .collect(
                          java.util.stream.Collectors.toMap(
                              p -> p, p -> org.apache.kafka.clients.admin.OffsetSpec.latest())))
              .all()
              .get();
      for (var p : parts) {
        long end = ends.get(p).offset();
        var c = committed.get(p);
        if (end > 0 && (c == null || c.offset() < end)) return false;
      }
      return true;
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError("cannot read offsets of group " + group, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static boolean groupEmpty(Admin admin, String group) {
    try {
      return admin
          .describeConsumerGroups(List.of(group))
          .all()
          .get()
          .get(group)
          .members()
          .isEmpty();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError("cannot describe group " + group, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static int cli(String[] at, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of(at));
    return Main.newCommandLine().execute(all.toArray(String[]::new));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
