package io.charstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.schemas.DeadLetters;
import io.charstream.schemas.Topics;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.TrainingStatus;
import io.charstream.trainer.kafka.TopicProducer;
import io.charstream.trainer.request.JsonRequestReader;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The request loop without a broker, on Kafka's MockConsumer / MockProducer, one poll at a time on
 * the test thread (jobs run on a same-thread executor): what is handed to the job runner, what is
 * published, when offsets are committed, and what the worker's meters count. The real-broker
 * behaviour is in the app module's Trainer*IT. MockConsumer drops the records it returned, so where
 * the loop seeks back a test adds the record again, as the broker would deliver it again.
 */
class RequestLoopTest {
  private final Topics topics = Topics.defaults();
  private final TopicPartition tp = new TopicPartition(topics.trainingRequests().name(), 0);
  private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  private final List<Job> ran = new ArrayList<>();
  private final List<OffsetAndMetadata> committedWhileRunning = new ArrayList<>();
  private JobRunner.Outcome outcome = JobRunner.Outcome.DONE;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final AtomicLong clock = new AtomicLong();
  private final Heartbeat heartbeat = new Heartbeat(clock::get);
  private RequestLoop loop;

  @BeforeEach
  void start() {
    TrainerConfig config =
        TrainerConfig.from(
            EnvConfig.builder(TrainerConfig.DEF)
                .env(Map.of())
                .override(TrainerConfig.WORKER_ID, "w1")
                .build());
    TopicProducer out = new TopicProducer(producer);
    TrainerMetrics metrics = new TrainerMetrics(registry);
    loop =
        new RequestLoop(
            config,
            consumer,
            new JsonRequestReader(topics.deadLetter(topics.trainingRequests()).name()),
            new Statuses(topics, out, () -> 1_000L, "w1", metrics),
            (job, control) -> {
              committedWhileRunning.add(committed());
              ran.add(job);
              return outcome;
            },
            new SameThreadExecutor(),
            heartbeat);
    loop.subscribe();
    consumer.rebalance(List.of(tp));
    consumer.updateBeginningOffsets(Map.of(tp, 0L));
  }

  @Test
  void anAcceptedRequestIsHandedToTheRunnerAndCommittedOnlyAfterItEnds() {
    add(0, "m", request("j1", "m"));
    loop.pollOnce();
    assertThat(ran)
        .singleElement()
        .satisfies(
            j -> {
              assertThat(j.id()).isEqualTo("j1");
              assertThat(j.request().modelId()).isEqualTo("m");
              assertThat(j.request().seed()).as("seed resolved").isNotNull();
              assertThat(j.offset()).isZero();
            });
    assertThat(committedWhileRunning).containsExactly((OffsetAndMetadata) null);
    assertThat(committed()).as("not before the loop has settled the job").isNull();
    assertThat(consumer.paused()).containsExactly(tp);
    assertThat(producer.history()).as("the loop itself publishes nothing for a job").isEmpty();

    loop.pollOnce();
    assertThat(committed().offset()).isEqualTo(1);
    assertThat(consumer.paused()).isEmpty();
    assertThat(count("requests", "outcome", "job")).isEqualTo(1);
    assertThat(count("requests", "outcome", "rejected")).isZero();
    assertThat(count("errors", "kind", "invalid-request")).isZero();
  }

  @Test
  void aJobHandedOverIsNotCommittedAndItsRecordIsReadAgain() {
    outcome = JobRunner.Outcome.RESUME_LATER;
    add(0, "m", request("j1", "m"));
    loop.pollOnce();
    loop.pollOnce();
    assertThat(committed()).isNull();
    assertThat(consumer.position(tp)).isZero();
    assertThat(ran).hasSize(1);
  }

  @Test
  void aRequestThatBreaksTheContractBecomesARejectedStatusNamingTheField() {
    add(0, "m", "{\"schemaVersion\":1,\"modelId\":\"m\",\"corpusId\":\"c\",\"seqLen\":-5}");
    loop.pollOnce();
    assertThat(ran).isEmpty();
    TrainingStatus.Rejected r = onlyRejected();
    assertThat(r.jobId()).isEqualTo("m-p0-o0");
    assertThat(r.modelId()).isEqualTo("m");
    assertThat(r.field()).isEqualTo("seqLen");
    assertThat(r.reason()).startsWith("invalid training request: ");
    assertThat(committed().offset()).isEqualTo(1);
    assertThat(count("requests", "outcome", "rejected")).isEqualTo(1);
    assertThat(count("errors", "kind", "invalid-request")).isEqualTo(1);
    assertThat(count("jobs", "state", "rejected")).as("its rejected status").isEqualTo(1);
    assertThat(count("requests", "outcome", "job")).isZero();
  }

  @Test
  void aRequestKeyedByAnotherModelIsRejectedOnItsModelId() {
    add(0, "other", request("j1", "m"));
    loop.pollOnce();
    assertThat(ran).isEmpty();
    TrainingStatus.Rejected r = onlyRejected();
    assertThat(r.jobId()).isEqualTo("j1");
    assertThat(r.field()).isEqualTo("modelId");
    assertThat(r.reason()).contains("keyed by its modelId 'm'", "'other'");
    assertThat(committed().offset()).isEqualTo(1);
  }

  @Test
  void anUnparseableRecordIsDeadLetteredWithErrorHeadersAndItsModelToldWhy() {
    byte[] garbage = "{not json".getBytes(StandardCharsets.UTF_8);
    consumer.addRecord(new ConsumerRecord<>(tp.topic(), 0, 0L, bytes("m"), garbage));
    loop.pollOnce();
    assertThat(ran).isEmpty();
    String dlq = topics.deadLetter(topics.trainingRequests()).name();
    List<ProducerRecord<byte[], byte[]>> dead =
        producer.history().stream().filter(p -> p.topic().equals(dlq)).toList();
    assertThat(dead)
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.value()).isEqualTo(garbage);
              assertThat(d.key()).isEqualTo(bytes("m"));
              assertThat(DeadLetters.header(d.headers(), DeadLetters.ERROR_KIND))
                  .isEqualTo("not-json");
              assertThat(DeadLetters.header(d.headers(), DeadLetters.ERROR_MESSAGE)).isNotBlank();
              assertThat(DeadLetters.header(d.headers(), DeadLetters.SOURCE_TOPIC))
                  .isEqualTo(tp.topic());
              assertThat(DeadLetters.header(d.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("0");
              assertThat(DeadLetters.header(d.headers(), DeadLetters.WORKER)).isEqualTo("w1");
            });
    TrainingStatus.Rejected r = onlyRejected();
    assertThat(r.jobId()).isEqualTo("m-p0-o0");
    assertThat(r.reason()).contains("unreadable training request (sent to " + dlq + ")");
    assertThat(committed().offset()).isEqualTo(1);
    assertThat(count("requests", "outcome", "dead-letter")).isEqualTo(1);
    assertThat(count("errors", "kind", "not-json")).isEqualTo(1);
    assertThat(count("jobs", "state", "rejected")).as("the notice to its model").isEqualTo(1);
  }

  @Test
  void anUnparseableRecordWithoutAModelKeyIsOnlyDeadLettered() {
    consumer.addRecord(new ConsumerRecord<>(tp.topic(), 0, 0L, null, bytes("\u0000\u0001")));
    loop.pollOnce();
    assertThat(producer.history())
        .singleElement()
        .satisfies(
            d ->
                assertThat(d.topic())
                    .isEqualTo(topics.deadLetter(topics.trainingRequests()).name()));
    assertThat(committed().offset()).isEqualTo(1);
  }

  @Test
  void aVerdictThatCannotBePublishedIsNotCommittedAndTheRecordIsReadAgain() {
    producer.sendException = new KafkaException("broker away");
    add(0, "other", request("j1", "m"));
    loop.pollOnce();
    assertThat(committed()).isNull();
    assertThat(consumer.position(tp)).isZero();
    assertThat(count("requests", "outcome", "rejected")).as("not until published").isZero();
    assertThat(count("jobs", "state", "rejected")).isZero();

    producer.sendException = null;
    add(0, "other", request("j1", "m")); // MockConsumer forgets polled records: fetch it again
    loop.pollOnce();
    assertThat(onlyRejected().field()).isEqualTo("modelId");
    assertThat(committed().offset()).isEqualTo(1);
    assertThat(count("requests", "outcome", "rejected")).as("counted once").isEqualTo(1);
    assertThat(count("jobs", "state", "rejected")).isEqualTo(1);
  }

  @Test
  void everyErrorKindAndStateIsCountedFromZeroBeforeItsFirstOccurrence() {
    // An alert on increase() sees a first failure only on a series that existed before it.
    for (String kind : TrainerMetrics.ERROR_KINDS) {
      assertThat(count("errors", "kind", kind)).as(kind).isZero();
    }
    for (String state : TrainerMetrics.JOB_STATES) {
      assertThat(count("jobs", "state", state)).as(state).isZero();
    }
    assertThat(registry.get("charstream.trainer.jobs.running").gauge().value()).isZero();
  }

  @Test
  void assignedPartitionsFollowTheRebalances() {
    TopicPartition tp1 = new TopicPartition(tp.topic(), 1);
    assertThat(loop.assignedPartitions()).isEqualTo(1);
    consumer.rebalance(List.of(tp, tp1));
    assertThat(loop.assignedPartitions()).isEqualTo(2);
    consumer.rebalance(List.of(tp1));
    assertThat(loop.assignedPartitions()).isEqualTo(1);
    consumer.rebalance(List.of());
    assertThat(loop.assignedPartitions()).isZero();
  }

  @Test
  void eachTurnBeatsTheHeartbeat() {
    clock.set(5_000_000_000L);
    assertThat(heartbeat.nanosSinceBeat()).isEqualTo(5_000_000_000L);
    loop.pollOnce();
    assertThat(heartbeat.nanosSinceBeat()).isZero();
  }

  @Test
  void aWedgedPollLoopTurnsLivenessRedAndBackWhenItTurnsAgain() throws Exception {
    Duration stall = Duration.ofSeconds(180);
    TrainerHealth health =
        new TrainerHealth(
            () ->
                new TrainerHealth.Loop(
                    true, true, null, heartbeat.nanosSinceBeat(), loop.assignedPartitions()),
            HealthyTables.INSTANCE,
            stall);
    CountDownLatch wedged = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch turnedAgain = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    consumer.schedulePollTask(() -> block(wedged, release)); // a poll that does not return
    consumer.schedulePollTask(() -> block(turnedAgain, finish));
    Thread t =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted() && finish.getCount() > 0) {
                loop.pollOnce();
              }
            },
            "test-poll");
    t.start();
    assertThat(wedged.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(health.live().ok()).as(health.live().reason()).isTrue();
    clock.addAndGet(stall.toNanos() + 1_000_000); // the stall limit passes while it is wedged
    assertThat(health.live().ok()).isFalse();
    assertThat(health.live().reason()).startsWith("request loop has not turned for 180001 ms");
    assertThat(health.ready().ok()).as("not ready while not live").isFalse();

    release.countDown();
    assertThat(turnedAgain.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(health.live().ok()).as(health.live().reason()).isTrue();
    assertThat(health.ready().ok()).as(health.ready().reason()).isTrue();
    finish.countDown();
    t.join(30_000);
    assertThat(t.isAlive()).isFalse();
  }

  private static void block(CountDownLatch entered, CountDownLatch until) {
    entered.countDown();
    try {
      assertThat(until.await(60, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Kafka Streams tables that are running, with a thread that polled a moment ago. */
  private enum HealthyTables implements TrainerHealth.Tables {
    INSTANCE;

    @Override
    public org.apache.kafka.streams.KafkaStreams.State state() {
      return org.apache.kafka.streams.KafkaStreams.State.RUNNING;
    }

    @Override
    public int liveThreads() {
      return 1;
    }

    @Override
    public Map<String, Double> secondsSincePoll() {
      return Map.of("w1-tables-StreamThread-1-consumer", 0.0);
    }
  }

  private double count(String name, String tag, String value) {
    return registry.get("charstream.trainer." + name).tag(tag, value).counter().count();
  }

  @Test
  void recordsBehindARunningJobWaitAndFollowItInOrder() {
    outcome = JobRunner.Outcome.DONE;
    add(0, "m", request("j1", "m"));
    add(1, "m", request("j2", "m"));
    loop.pollOnce();
    assertThat(ran).extracting(Job::id).containsExactly("j1");
    assertThat(consumer.position(tp)).as("rewound to the record after the job").isEqualTo(1);
    add(1, "m", request("j2", "m")); // MockConsumer forgets polled records: fetch it again
    loop.pollOnce(); // settles j1 (commit 1), then polls j2
    assertThat(ran).extracting(Job::id).containsExactly("j1", "j2");
    assertThat(committedWhileRunning.get(1).offset()).isEqualTo(1);
    loop.pollOnce();
    assertThat(committed().offset()).isEqualTo(2);
  }

  private String request(String jobId, String modelId) {
    return Json.writeString(TrainingRequest.defaults(jobId, modelId, "c"));
  }

  private void add(long offset, String key, String value) {
    consumer.addRecord(new ConsumerRecord<>(tp.topic(), 0, offset, bytes(key), bytes(value)));
  }

  private OffsetAndMetadata committed() {
    return consumer.committed(Set.of(tp)).get(tp);
  }

  private TrainingStatus.Rejected onlyRejected() {
    List<TrainingStatus> statuses =
        producer.history().stream()
            .filter(p -> p.topic().equals(topics.trainingStatus().name()))
            .map(
                p ->
                    topics
                        .trainingStatus()
                        .valueSerde()
                        .deserializer()
                        .deserialize(p.topic(), p.value()))
            .toList();
    assertThat(statuses).singleElement().isInstanceOf(TrainingStatus.Rejected.class);
    TrainingStatus.Rejected r = (TrainingStatus.Rejected) statuses.get(0);
    assertThat(
            producer.history().stream()
                .filter(p -> p.topic().equals(topics.trainingStatus().name())))
        .singleElement()
        .satisfies(p -> assertThat(p.key()).isEqualTo(bytes(r.jobId())));
    return r;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Runs each job on the polling thread, so a test sees its effects without waiting. */
  private static final class SameThreadExecutor extends AbstractExecutorService {
    private boolean shutdown;

    @Override
    public void execute(Runnable command) {
      command.run();
    }

    @Override
    public void shutdown() {
      shutdown = true;
    }

    @Override
    public List<Runnable> shutdownNow() {
      shutdown = true;
      return List.of();
    }

    @Override
    public boolean isShutdown() {
      return shutdown;
    }

    @Override
    public boolean isTerminated() {
      return shutdown;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }
  }
}
