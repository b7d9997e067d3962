package io.charstream.generator;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.generator.GeneratorWorker.Settings;
import io.charstream.generator.GeneratorWorker.WorkerTopics;
import io.charstream.model.generation.GenerationModel;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.message.GenerateResponse;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The worker loop without a broker, on Kafka's MockConsumer / MockProducer (the transactional mock
 * keeps only committed records in its history): what commits, in which order, and what happens when
 * a transaction fails. The real-broker behaviour is in the app module's Generator*IT.
 */
class GeneratorWorkerTest {

  private static final TopicPartition TP = new TopicPartition("req", 0);
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");

  /** The worker's producer now; those it closed (a fenced one is replaced) in {@link #retired}. */
  private volatile SlowCommits producer = new SlowCommits();

  private final List<SlowCommits> retired = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** When set, each new producer is refused at initTransactions as fenced. */
  private volatile boolean fenceNewProducers;

  private SlowCommits nextProducer() {
    if (producer.closed()) {
      retired.add(producer);
      SlowCommits next = new SlowCommits();
      if (fenceNewProducers) {
        next.initTransactionException = new ProducerFencedException("fenced at init (test)");
      }
      producer = next;
    }
    return producer;
  }

  private GeneratorWorker worker;
  private Thread thread;

  private void start() {
    start(20);
  }

  private void start(int commitIntervalMs) {
    ModelRegistry registry = new ModelRegistry(2);
    registry.loaded(
        new LoadedModel(
            "tiny",
            1,
            GenerationModel.from(SyntheticCheckpoints.of(SyntheticCheckpoints.tiny(), 3L))));
    CountDownLatch caughtUp = new CountDownLatch(0);
    worker =
        new GeneratorWorker(
            new WorkerTopics("req", "resp", "req.dlq", 1_000_000),
            new Settings(8, commitIntervalMs, 10, 1, 1_000),
            consumer,
            this::nextProducer,
            new JsonRequestReader(new JsonRequestReader.Limits(100, 1_000, 4, "tiny")),
            new JsonResponseWriter(),
            new SlotScheduler(4, LoadedModel::newStreams, 1_000),
            new JobPreparer(registry, 0),
            new GeneratorMetrics(new SimpleMeterRegistry(), 4),
            caughtUp,
            "test-worker",
            new RequestTracing(OpenTelemetry.noop(), ""));
    consumer.updateBeginningOffsets(Map.of(TP, 0L));
    // The rebalance runs inside poll, on the worker thread, as a real one does.
    consumer.schedulePollTask(() -> consumer.rebalance(List.of(TP)));
    thread = new Thread(worker, "worker-under-test");
    thread.start();
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (worker != null) {
      worker.requestStop();
      thread.join(10_000);
    }
  }

  /**
   * The transactional mock, with commits that take {@link #commitMillis} (a broker's round trip, so
   * the worker prepares transactions ahead), remembering what each commit made visible and how many
   * transactions sent offsets before any record (prepared ones).
   */
  static final class SlowCommits extends MockProducer<String, byte[]> {
    volatile long commitMillis;
    volatile int prepared;
    private boolean recordsInTransaction;

    /** Per commit: how many records the history held after it, and the offsets it committed. */
    final List<Map.Entry<Integer, Map<TopicPartition, OffsetAndMetadata>>> commits =
        new java.util.concurrent.CopyOnWriteArrayList<>();

    SlowCommits() {
      super(true, null, new StringSerializer(), new ByteArraySerializer());
    }

    @Override
    public synchronized java.util.concurrent.Future<
            org.apache.kafka.clients.producer.RecordMetadata>
        send(ProducerRecord<String, byte[]> record) {
      recordsInTransaction = true;
      return super.send(record);
    }

    @Override
    public synchronized void sendOffsetsToTransaction(
        Map<TopicPartition, OffsetAndMetadata> offsets,
        org.apache.kafka.clients.consumer.ConsumerGroupMetadata group) {
      if (!recordsInTransaction) {
        prepared++;
      }
      super.sendOffsetsToTransaction(offsets, group);
    }

    @Override
    public void commitTransaction() {
      LockSupport.parkNanos(commitMillis * 1_000_000L); // the broker's round trip, not a sync
      synchronized (this) {
        super.commitTransaction();
        recordsInTransaction = false;
        List<Map<String, Map<TopicPartition, OffsetAndMetadata>>> h = consumerGroupOffsetsHistory();
        Map<TopicPartition, OffsetAndMetadata> last =
            h.isEmpty()
                ? Map.of()
                : h.get(h.size() - 1).values().stream().findFirst().orElse(Map.of());
        commits.add(Map.entry(history().size(), last));
      }
    }

    @Override
    public synchronized void abortTransaction() {
      super.abortTransaction();
      recordsInTransaction = false;
    }
  }

  private void send(long offset, String id, String extra) {
    ConsumerRecord<String, byte[]> rec = record(offset, id, extra);
    consumer.schedulePollTask(() -> consumer.addRecord(rec));
  }

  private static ConsumerRecord<String, byte[]> record(long offset, String id, String extra) {
    String json =
        "{\"schemaVersion\":1,\"requestId\":\""
            + id
            + "\",\"prompt\":\"KING\""
            + (extra.contains("\"length\"") ? "" : ",\"length\":12")
            + extra
            + "}";
    return new ConsumerRecord<>("req", 0, offset, id, json.getBytes(StandardCharsets.UTF_8));
  }

  private List<GenerateResponse> committedFinals() {
    List<SlowCommits> all = new java.util.ArrayList<>(retired);
    all.add(producer);
    return all.stream()
        .flatMap(p -> p.history().stream())
        .filter(r -> r.topic().equals("resp"))
        .map(r -> Json.read(r.value(), GenerateResponse.class))
        .filter(r -> r.type() == GenerateResponse.Type.FINAL)
        .toList();
  }

  private Long committedOffset() {
    List<Map<String, Map<TopicPartition, OffsetAndMetadata>>> h =
        producer.consumerGroupOffsetsHistory();
    Long last = null;
    for (Map<String, Map<TopicPartition, OffsetAndMetadata>> m : h) {
      for (Map<TopicPartition, OffsetAndMetadata> o : m.values()) {
        if (o.containsKey(TP)) {
          last = o.get(TP).offset();
        }
      }
    }
    return last;
  }

  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
      LockSupport.parkNanos(
          1_000_000L); // poll the condition every millisecond, not synchronisation
    }
  }

  /** Waits until {@code n} answers and the offset after them are committed. */
  private void awaitCommitted(int n, String what) {
    await(() -> committedFinals().size() == n && Long.valueOf(n).equals(committedOffset()), what);
  }

  @Test
  void answersAndOffsetsCommitTogetherInOrder() {
    start();
    send(0, "a", "");
    send(1, "b", ",\"temperature\":0"); // an error answer also moves the offset on
    send(2, "c", ",\"stream\":true");
    awaitCommitted(3, "three answers");
    assertThat(committedFinals())
        .extracting(GenerateResponse::requestId)
        .containsExactlyInAnyOrder("a", "b", "c");
    assertThat(
            committedFinals().stream()
                .filter(r -> r.requestId().equals("b"))
                .findFirst()
                .orElseThrow()
                .error()
                .kind())
        .isEqualTo("invalid-option");
    // Every commit carried offsets only up to answered requests: never past one still running. An
    // answer that overtook an earlier request (b's error before a) commits the earlier offset with
    // the answered ones past it in the metadata, so a replay from there skips them.
    for (Map<String, Map<TopicPartition, OffsetAndMetadata>> m :
        producer.consumerGroupOffsetsHistory()) {
      assertThat(m.values())
          .allSatisfy(
              o -> {
                OffsetAndMetadata om = o.get(TP);
                assertThat(om.offset()).isBetween(0L, 3L);
                for (long answered : PartitionLedger.decode(om.offset(), om.metadata())) {
                  assertThat(answered).isBetween(om.offset() + 1, 2L);
                }
              });
    }
  }

  @Test
  void answersDoNotWaitForTheChunkInterval() {
    start(60_000); // chunks every minute: final answers must still commit at once
    send(0, "a", "");
    send(1, "b", ",\"stream\":true");
    awaitCommitted(2, "both answers well before the chunk interval");
    // The streaming request's chunk went with its final record: text and chunk agree.
    List<GenerateResponse> chunks =
        producer.history().stream()
            .filter(r -> r.topic().equals("resp"))
            .map(r -> Json.read(r.value(), GenerateResponse.class))
            .filter(r -> r.type() == GenerateResponse.Type.CHUNK)
            .toList();
    GenerateResponse b =
        committedFinals().stream().filter(r -> r.requestId().equals("b")).findFirst().orElseThrow();
    assertThat(chunks).extracting(GenerateResponse::requestId).containsOnly("b");
    assertThat(String.join("", chunks.stream().map(GenerateResponse::text).toList()))
        .isEqualTo(b.text());
  }

  /**
   * A fenced producer (its transaction aborted by the broker after transaction.timeout.ms, as after
   * a network cut) is replaced, and the request is answered once by the new one.
   */
  @Test
  void aFencedProducerIsReplacedAndTheRequestAnsweredOnce() {
    start();
    await(producer::transactionInitialized, "the worker's producer to start");
    SlowCommits first = producer;
    first.fenceProducer();
    send(0, "a", "");
    await(() -> producer != first && producer.transactionInitialized(), "a new producer");
    assertThat(committedFinals()).isEmpty();
    await(() -> consumer.position(TP) == 0L, "the rewind to the committed offset");
    send(0, "a", ""); // as the broker delivers it again from the rewound position
    await(() -> committedFinals().size() == 1, "the answer, from the new producer");
    assertThat(first.closed()).isTrue();
    assertThat(committedFinals()).extracting(GenerateResponse::requestId).containsExactly("a");
    assertThat(worker.running()).isTrue();
  }

  /** Fenced again at once by initTransactions: another live instance has this transactional.id. */
  @Test
  void aProducerFencedAgainWhenReplacedStopsTheWorker() {
    start();
    await(producer::transactionInitialized, "the worker's producer to start");
    fenceNewProducers = true;
    producer.fenceProducer();
    send(0, "a", "");
    await(() -> !worker.running(), "the worker to stop");
    assertThat(worker.failure()).isInstanceOf(ProducerFencedException.class);
    assertThat(committedFinals()).isEmpty();
  }

  @Test
  void aFailedCommitIsAbortedAndTheUnansweredRequestsAreReadAgain() {
    producer.commitTransactionException = new KafkaException("injected commit failure");
    start();
    send(0, "x", "");
    send(1, "y", "");
    await(producer::transactionAborted, "the aborted transaction");
    assertThat(committedFinals()).isEmpty();
    assertThat(committedOffset()).isNull();
    await(() -> consumer.position(TP) == 0L, "the rewind to the committed offset");

    // The broker would deliver offsets 0 and 1 again from the rewound position.
    producer.commitTransactionException = null;
    send(0, "x", "");
    send(1, "y", "");
    await(() -> committedFinals().size() == 2, "both answers");
    assertThat(committedFinals())
        .extracting(GenerateResponse::requestId)
        .containsExactlyInAnyOrder("x", "y");
    await(() -> Long.valueOf(2).equals(committedOffset()), "offset 2 committed");
  }

  @Test
  void recordsWithoutAnyRequestIdAreDeadLetteredAndCommitted() {
    start();
    consumer.schedulePollTask(
        () ->
            consumer.addRecord(
                new ConsumerRecord<>(
                    "req", 0, 0, null, "garbage".getBytes(StandardCharsets.UTF_8))));
    send(1, "ok", "");
    await(() -> Long.valueOf(2).equals(committedOffset()), "offsets past the dead letter");
    List<ProducerRecord<String, byte[]>> dlq =
        producer.history().stream().filter(r -> r.topic().equals("req.dlq")).toList();
    assertThat(dlq).hasSize(1);
    assertThat(new String(dlq.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("garbage");
    assertThat(committedFinals()).extracting(GenerateResponse::requestId).containsExactly("ok");
  }

  /**
   * With commits as slow as a broker's, the worker prepares transactions with the offsets of the
   * requests about to finish; requests of many lengths (some ending early on a stop string) finish
   * before or after the commit they were expected in. After every commit, each request below the
   * committed offset, and each one its metadata lists, has its final record visible: a prepared
   * offset never commits past an unanswered request.
   */
  @Test
  void preparedTransactionsCommitOnlyWhatIsAnswered() {
    producer.commitMillis = 3;
    start();
    int n = 48;
    for (int i = 0; i < n; i++) {
      int length = 5 + (i * 37) % 600;
      String stop = i % 5 == 0 ? ",\"stop\":[\"e\"]" : "";
      send(i, "p" + i, ",\"length\":" + length + stop);
    }
    awaitCommitted(n, "all");
    assertThat(producer.prepared).as("transactions prepared ahead").isPositive();
    for (Map.Entry<Integer, Map<TopicPartition, OffsetAndMetadata>> commit : producer.commits) {
      OffsetAndMetadata om = commit.getValue().get(TP);
      if (om == null) {
        continue;
      }
      java.util.Set<String> visible = new java.util.HashSet<>();
      for (ProducerRecord<String, byte[]> r : producer.history().subList(0, commit.getKey())) {
        GenerateResponse resp = Json.read(r.value(), GenerateResponse.class);
        if (resp.type() == GenerateResponse.Type.FINAL) {
          visible.add(resp.requestId());
        }
      }
      for (long o = 0; o < om.offset(); o++) {
        assertThat(visible).as("committed offset %d", om.offset()).contains("p" + o);
      }
      for (long o : PartitionLedger.decode(om.offset(), om.metadata())) {
        assertThat(visible).as("listed in %s", om.metadata()).contains("p" + o);
      }
    }
  }

  /**
   * The consumer goes back on its own to an offset it delivered already (a position reset; a
   * network cut caused one in NetworkPartitionIT, and the worker used to stop on it): the worker
   * aborts what did not commit, re-reads from the last commit and keeps running; each request is
   * answered once.
   */
  @Test
  void aConsumerGoingBackIsReadAgainFromTheCommitNotFatal() {
    start();
    send(0, "a", ",\"length\":900");
    ConsumerRecord<String, byte[]> again = record(0, "a", ",\"length\":900");
    consumer.schedulePollTask(
        () -> {
          consumer.seek(TP, 0);
          consumer.addRecord(again);
        });
    send(0, "a", ",\"length\":900"); // the log still holds it for the worker's own re-read
    send(1, "b", "");
    awaitCommitted(2, "both answered");
    assertThat(committedFinals())
        .extracting(GenerateResponse::requestId)
        .containsExactlyInAnyOrder("a", "b");
    assertThat(worker.failure()).isNull();
    assertThat(worker.running()).isTrue();
  }
}
