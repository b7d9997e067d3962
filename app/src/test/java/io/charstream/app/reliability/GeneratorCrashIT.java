package io.charstream.app.reliability;

import static io.charstream.app.worker.GeneratorFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.it.OwnBroker;
import io.charstream.app.worker.GeneratorFixture;
import io.charstream.app.worker.GeneratorProcess;
import io.charstream.generator.GeneratorService;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generator faults a thread cannot fake, on a real process: the victim is {@code charstream
 * generator} in its own JVM, killed with SIGKILL wherever it is, or frozen with SIGSTOP past its
 * session timeout and woken with SIGCONT (a zombie). The survivor runs in the test's JVM.
 *
 * <p>The fault must hit live work, whatever the speed of generation: on each of two partitions the
 * victim owns, a long request (the contract's largest length here, streamed) and short requests
 * behind it, which finish first, out of offset order. The fault is triggered only once the victim
 * has committed chunks of every long request and answers to some short ones; afterwards the
 * committed records prove it hit live work (each long request has chunks written by the victim and
 * its one final written by the survivor). Answers are counted after reading every partition of the
 * response topic to its end, with every writer stopped.
 */
class GeneratorCrashIT {

  private static final Duration WAIT = Duration.ofSeconds(180);
  private static final String GROUP = "charstream-generator";

  /** The largest length the generators accept (length.max): seconds of work at any speed. */
  private static final int LONG = 1_000_000;

  private static final int SHORT = 5_000;
  private static final int SHORTS_PER_PARTITION = 30;

  @RegisterExtension static final OwnBroker BROKER = OwnBroker.abortingDeadTransactionsQuickly();

  @TempDir Path dir;

  /** The work of one test: long requests and the short ones queued behind them. */
  private record Work(List<GenerateRequest> longs, List<GenerateRequest> shorts) {
    List<GenerateRequest> all() {
      return Stream.concat(longs.stream(), shorts.stream()).toList();
    }
  }

  /** Victim with one slot to spare for short requests: they wait behind the long ones. */
  private static Map<String, String> victimEnv() {
    return Map.of(
        "CHARSTREAM_BATCH_CAPACITY", "3",
        "CHARSTREAM_QUEUE_CAPACITY", "8",
        "CHARSTREAM_LENGTH_MAX", Integer.toString(LONG));
  }

  private static GeneratorService survivor(GeneratorFixture f) throws Exception {
    return f.startGenerator("survivor", GeneratorFixture.slots(8, 8, LONG));
  }

  /** Both ready and the partitions split between them; returns two partitions of the victim. */
  private static List<Integer> victimPartitions(
      GeneratorFixture f, GeneratorProcess victim, GeneratorService survivor) throws Exception {
    victim.awaitReady(WAIT);
    assertThat(survivor.awaitReady(WAIT)).as(survivor.readiness().reason()).isTrue();
    int partitions = f.topics.generateRequests().settings().partitions();
    List<Integer> mine = new ArrayList<>();
    f.await(
        () -> {
          try {
            List<Integer> v = f.ownedPartitions(GROUP, victim.clientId());
            List<Integer> s = f.ownedPartitions(GROUP, "generator-survivor");
            mine.clear();
            mine.addAll(v);
            return v.size() >= 2 && !s.isEmpty() && v.size() + s.size() == partitions;
          } catch (Exception e) {
            return false; // the group is rebalancing
          }
        },
        WAIT,
        "the partitions split between victim and survivor");
    return mine.subList(0, 2);
  }

  private static Work send(GeneratorFixture f, String tag, List<Integer> partitions) {
    List<GenerateRequest> longs = new ArrayList<>();
    List<GenerateRequest> shorts = new ArrayList<>();
    for (int p : partitions) {
      GenerateRequest l = request(tag + "-long-" + p, "KING", LONG, p, null, null, true);
      longs.add(l);
      f.sendTo(l, p);
    }
    for (int i = 0; i < SHORTS_PER_PARTITION; i++) {
      for (int p : partitions) {
        GenerateRequest s =
            request(tag + "-short-" + p + "-" + i, "QUEEN", SHORT, i, null, null, false);
        shorts.add(s);
        f.sendTo(s, p);
      }
    }
    return new Work(longs, shorts);
  }

  /** The survivor, the work sent to two of the victim's partitions, the victim's busy slots. */
  private record Live(GeneratorService survivor, Work work, double victimBusy) {}

  /**
   * Starts the survivor and sends work to two of the victim's partitions; waits until it is live.
   */
  private static Live liveWork(GeneratorFixture f, String tag, GeneratorProcess victim)
      throws Exception {
    GeneratorService survivor = survivor(f);
    Work w = send(f, tag, victimPartitions(f, victim, survivor));
    awaitLiveWork(f, w);
    return new Live(survivor, w, victim.metric("charstream_generator_slots_active"));
  }

  /** Live work: every long request streams (its chunks committed), some short ones are answered. */
  private static void awaitLiveWork(GeneratorFixture f, Work w) {
    f.await(
        () ->
            w.longs().stream()
                    .allMatch(
                        r ->
                            f.responsesOf(r.requestId()).stream()
                                .anyMatch(x -> x.type() == GenerateResponse.Type.CHUNK))
                && w.shorts().stream().filter(r -> !f.finals(r.requestId()).isEmpty()).count() >= 2,
        WAIT,
        "chunks of every long request and the first short answers");
  }

  /**
   * The committed records show the fault hit live work: the victim wrote chunks of every long
   * request (it held them in its slots) and did not answer them before the fault; {@code after}
   * names who may have answered them afterwards.
   */
  private static void assertLongRequestsWereLiveAtTheFault(
      GeneratorFixture f, Work w, Map<String, String> answeredBy, Set<String> after) {
    Set<String> streamedByVictim =
        f.committedResponses().stream()
            .filter(r -> r.value().type() == GenerateResponse.Type.CHUNK)
            .filter(r -> "victim".equals(GeneratorFixture.worker(r)))
            .map(ConsumerRecord::key)
            .collect(Collectors.toSet());
    for (GenerateRequest r : w.longs()) {
      assertThat(streamedByVictim)
          .as("the victim streamed " + r.requestId())
          .contains(r.requestId());
      assertThat(answeredBy.get(r.requestId()))
          .as("who answered " + r.requestId() + ", which the victim was generating at the fault")
          .isIn(after);
    }
  }

  @Test
  void aGeneratorProcessKilledMidBatchHasItsWorkAnsweredOnceByTheSurvivor() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(BROKER.get())) {
      try (GeneratorProcess victim = GeneratorProcess.start(f, "victim", victimEnv(), dir)) {
        Live live = liveWork(f, "crash", victim);
        victim.kill();
        Work w = live.work();
        double busy = live.victimBusy();
        assertThat(busy)
            .as("the victim's busy slots just before SIGKILL")
            .isGreaterThanOrEqualTo(2);

        for (GenerateRequest r : w.all()) {
          f.awaitFinal(r.requestId(), WAIT);
        }
        f.stopGenerators();
        Map<String, String> answeredBy = f.assertEachAnsweredOnce(w.all(), 11L, WAIT);
        assertLongRequestsWereLiveAtTheFault(f, w, answeredBy, Set.of("survivor"));
        Map<String, Long> counts = GeneratorFixture.perInstance(answeredBy);
        assertThat(counts.get("victim"))
            .as("answers the victim committed before it died, per instance " + counts)
            .isGreaterThanOrEqualTo(2);
        System.out.printf(
            "generator SIGKILL: %d busy slots at the kill; committed answers per instance %s%n",
            (int) busy, counts);
      }
    }
  }

  @Test
  void aGeneratorPausedPastItsSessionTimeoutIsFencedWhenItWakes() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(BROKER.get())) {
      // Its transaction timeout (30 s) outlives the pause (about 10 s), so it usually wakes with
      // a transaction open and must be refused by the group coordinator or its lost partitions.
      // Paused mid-commit (offsets already in its transaction), it holds the survivor back from
      // those partitions until the broker aborts that transaction (as in production, for up to
      // transaction.timeout.ms); woken after that, its producer is fenced and it exits.
      Map<String, String> env = new java.util.HashMap<>(victimEnv());
      env.put("CHARSTREAM_KAFKA_TRANSACTION_TIMEOUT_MS", "30000");
      try (GeneratorProcess victim = GeneratorProcess.start(f, "victim", env, dir)) {
        Live live = liveWork(f, "zombie", victim);
        victim.pause();
        Work w = live.work();
        double busy = live.victimBusy();
        GeneratorService survivor = live.survivor();
        assertThat(busy)
            .as("the victim's busy slots just before SIGSTOP")
            .isGreaterThanOrEqualTo(2);
        int partitions = f.topics.generateRequests().settings().partitions();
        f.await(
            () ->
                survivor.meters().find("charstream.generator.partitions.assigned").gauge().value()
                    == partitions,
            WAIT,
            "the survivor owning every partition (the paused victim evicted)");
        // ... and answering the victim's requests (sent, maybe not yet visible: the paused
        // victim's open transaction holds back read_committed readers of its partitions).
        f.await(
            () ->
                survivor.meters().find("charstream.generator.requests").counters().stream()
                        .mapToDouble(c -> c.count())
                        .sum()
                    >= 3,
            WAIT,
            "the survivor answering the victim's requests");

        victim.resume();
        // Awake, the zombie carries on: it finishes requests and commits, and must be refused.
        f.await(
            () -> {
              try {
                return !victim.alive() || abortedOf(victim) > 0;
              } catch (Exception e) {
                return false;
              }
            },
            WAIT,
            "the woken victim's transaction refused");
        for (GenerateRequest r : w.all()) {
          f.awaitFinal(r.requestId(), WAIT);
        }
        int exit = victim.alive() ? victim.terminate() : -1;
        victim
            .log()
            .lines()
            .filter(l -> l.contains("transaction failed") || l.contains("in-flight requests"))
            .forEach(l -> System.out.println("zombie: " + l));
        f.stopGenerators();
        Map<String, String> answeredBy = f.assertEachAnsweredOnce(w.all(), 11L, WAIT);
        // Once awake and refused, the victim rejoins the group as a new member and may get some
        // partitions back: then it answers their requests again, from the committed offsets.
        assertLongRequestsWereLiveAtTheFault(f, w, answeredBy, Set.of("survivor", "victim"));
        Map<String, Long> counts = GeneratorFixture.perInstance(answeredBy);
        assertThat(counts.get("survivor"))
            .as("the victim's requests the survivor answered while it was paused, " + counts)
            .isPositive();
        System.out.printf(
            "generator zombie: %d busy slots at SIGSTOP; exit %d; committed answers per instance"
                + " %s%n",
            (int) busy, exit, counts);
      }
    }
  }

  private static double abortedOf(GeneratorProcess p) throws Exception {
    return p.metric("charstream_generator_transactions_total", "outcome=\"aborted\"");
  }
}
