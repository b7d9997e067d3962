package io.charstream.app.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.broker.EmbeddedBroker;
import io.charstream.app.client.ModelPublisher;
import io.charstream.app.it.TopicReader;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.generator.SyntheticCheckpoints;
import io.charstream.model.Checkpoint;
import io.charstream.model.SamplingOptions;
import io.charstream.model.generation.GenerationModel;
import io.charstream.model.generation.TextGenerator;
import io.charstream.schemas.DeadLetters;
import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One test's world on the shared in-process broker: its own topic prefix (so tests never see each
 * other's records), a request producer, a read_committed collector of every response and dead
 * letter, generator instances, and the offline oracle for the text a request must get.
 */
public final class GeneratorFixture implements AutoCloseable {

  public static final String MODEL = "tiny";
  private static final AtomicInteger COUNTER = new AtomicInteger();

  public final EmbeddedBroker broker;
  public final Topics topics;
  public final Map<String, Object> kafka;
  private final KafkaProducer<String, byte[]> producer;
  private final List<GeneratorService> services = new ArrayList<>();
  private final Collector responses;
  private final Collector deadLetters;

  public GeneratorFixture(EmbeddedBroker broker) {
    this.broker = broker;
    this.topics =
        new Topics("it" + COUNTER.incrementAndGet() + "-" + System.nanoTime() % 100_000 + ".");
    broker.createTopics(topics);
    this.kafka = Map.of("bootstrap.servers", broker.bootstrapServers());
    producer =
        new KafkaProducer<>(
            new HashMap<>(kafka), new StringSerializer(), new ByteArraySerializer());
    responses = new Collector(topics.generateResponses().name());
    deadLetters = new Collector(topics.deadLetter(topics.generateRequests()).name());
  }

  /** A fixture with the tiny model's version 1 (weights seed 11) published, as most tests want. */
  public static GeneratorFixture withModel(EmbeddedBroker broker) throws Exception {
    GeneratorFixture f = new GeneratorFixture(broker);
    try {
      f.publishModel(1, 11L);
    } catch (Exception | Error e) {
      f.close();
      throw e;
    }
    return f;
  }

  /**
   * Generator keys for {@code batch} slots, at most {@code queue} requests waiting, and requests of
   * up to {@code lengthMax} characters.
   */
  public static Map<String, Object> slots(int batch, int queue, int lengthMax) {
    return Map.of(
        GeneratorConfig.BATCH_CAPACITY,
        batch,
        GeneratorConfig.QUEUE_CAPACITY,
        queue,
        GeneratorConfig.LENGTH_MAX,
        lengthMax);
  }

  /** {@code keys} with {@code key} set to {@code value}. */
  public static Map<String, Object> with(Map<String, Object> keys, String key, Object value) {
    Map<String, Object> all = new HashMap<>(keys);
    all.put(key, value);
    return all;
  }

  public static Checkpoint checkpoint(long seed) {
    return SyntheticCheckpoints.of(SyntheticCheckpoints.tiny(), seed);
  }

  public void publishModel(long version, long seed) throws Exception {
    ModelPublisher.publish(kafka, topics, MODEL, version, checkpoint(seed));
  }

  /**
   * Starts a generator; {@code overrides} are generator keys, session/transaction timeouts are
   * short.
   */
  public GeneratorService startGenerator(String instance, Map<String, Object> overrides)
      throws Exception {
    return startGenerator(instance, overrides, Map.of());
  }

  /** As above, with extra environment (e.g. CHARSTREAM_KAFKA_* client properties). */
  public GeneratorService startGenerator(
      String instance, Map<String, Object> overrides, Map<String, String> extraEnv)
      throws Exception {
    Map<String, Object> o =
        new HashMap<>(
            Map.of(
                "bootstrap.servers",
                broker.bootstrapServers(),
                "topic.prefix",
                topics.prefix(),
                GeneratorConfig.INSTANCE_ID,
                instance,
                GeneratorConfig.HTTP_PORT,
                0,
                GeneratorConfig.MODEL_DEFAULT_ID,
                MODEL,
                GeneratorConfig.SHUTDOWN_DRAIN_MS,
                5_000L,
                GeneratorConfig.MODEL_WAIT_MS,
                500L));
    o.putAll(overrides);
    Map<String, String> env =
        new HashMap<>(
            Map.of(
                "CHARSTREAM_KAFKA_SESSION_TIMEOUT_MS", "6000",
                "CHARSTREAM_KAFKA_HEARTBEAT_INTERVAL_MS", "1000",
                "CHARSTREAM_KAFKA_TRANSACTION_TIMEOUT_MS", "5000"));
    env.putAll(extraEnv);
    GeneratorService s = GeneratorService.start(GeneratorConfig.of(o, env));
    services.add(s);
    return s;
  }

  public void send(String key, String json) {
    sendBytes(key, json == null ? null : json.getBytes(StandardCharsets.UTF_8));
  }

  /** Sends raw bytes (invalid UTF-8, empty values, records of any size the producer allows). */
  public void sendBytes(String key, byte[] value) {
    producer.send(new ProducerRecord<>(topics.generateRequests().name(), key, value));
    producer.flush();
  }

  public void send(GenerateRequest request) {
    sendTo(request, null);
  }

  /** Sends {@code request.apply(i)} for i from {@code from} to {@code to} - 1, in order. */
  public List<GenerateRequest> sendEach(int from, int to, IntFunction<GenerateRequest> request) {
    List<GenerateRequest> sent = new ArrayList<>();
    for (int i = from; i < to; i++) {
      GenerateRequest r = request.apply(i);
      send(r);
      sent.add(r);
    }
    return sent;
  }

  /**
   * Sends {@code request} to one partition of generate-requests (null: the key's partition), so a
   * test can put a long request and short ones behind it on the partitions one worker owns.
   */
  public void sendTo(GenerateRequest request, Integer partition) {
    producer.send(
        new ProducerRecord<>(
            topics.generateRequests().name(),
            partition,
            request.requestId(),
            Json.write(request, GenerateRequest.class)));
    producer.flush();
  }

  /** The generate-requests partitions the group member with client id {@code clientId} owns. */
  public List<Integer> ownedPartitions(String groupId, String clientId) throws Exception {
    var group = broker.admin().describeConsumerGroups(List.of(groupId)).all().get().get(groupId);
    return group.members().stream()
        .filter(m -> m.clientId().equals(clientId))
        .flatMap(m -> m.assignment().topicPartitions().stream())
        .filter(tp -> tp.topic().equals(topics.generateRequests().name()))
        .map(TopicPartition::partition)
        .sorted()
        .toList();
  }

  /** A committed final response and the instance that wrote it (its charstream.worker header). */
  public record Final(GenerateResponse response, String worker) {}

  /**
   * Every committed response record, with the instance that wrote it, once the response topic has
   * settled: {@link TopicReader#readCommittedToEnd} reads every partition to its end offset after
   * every open transaction was committed or aborted. Call after the last answer was seen.
   */
  public List<ConsumerRecord<String, GenerateResponse>> committedResponses() {
    return TopicReader.readCommittedToEnd(
        new HashMap<>(kafka), topics.generateResponses(), Duration.ofSeconds(120));
  }

  /** The instance that wrote a response record (header {@value DeadLetters#WORKER}), or null. */
  public static String worker(ConsumerRecord<?, ?> record) {
    Header h = record.headers().lastHeader(DeadLetters.WORKER);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /** Committed final records by request id, counted after the topic settled. */
  public Map<String, List<Final>> committedFinals() {
    Map<String, List<Final>> out = new HashMap<>();
    for (ConsumerRecord<String, GenerateResponse> r : committedResponses()) {
      if (r.value() != null && r.value().type() == GenerateResponse.Type.FINAL) {
        out.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(new Final(r.value(), worker(r)));
      }
    }
    return out;
  }

  /**
   * Exactly-once, checked after the end: waits until every request has a final record, then reads
   * the whole response topic to its end ({@link #committedResponses}) and asserts exactly one final
   * per request, with the text its seed gives on model seed {@code modelSeed}. Returns the instance
   * that answered each request (from committed records only).
   */
  public Map<String, String> assertEachAnsweredOnce(
      List<GenerateRequest> requests, long modelSeed, Duration wait) {
    for (GenerateRequest r : requests) {
      awaitFinal(r.requestId(), wait);
    }
    Map<String, List<Final>> finals = committedFinals();
    Map<String, String> answeredBy = new HashMap<>();
    for (GenerateRequest r : requests) {
      List<Final> mine = finals.getOrDefault(r.requestId(), List.of());
      assertThat(mine.stream().map(Final::worker).toList())
          .as("instances that committed a final record of " + r.requestId())
          .hasSize(1);
      assertThat(mine.get(0).response().text()).as(r.requestId()).isEqualTo(expected(r, modelSeed));
      answeredBy.put(r.requestId(), mine.get(0).worker());
    }
    return answeredBy;
  }

  /**
   * How many of {@code requests} each instance answered, from committed finals ({@code
   * answeredBy}).
   */
  public static Map<String, Long> perInstance(Map<String, String> answeredBy) {
    Map<String, Long> out = new HashMap<>();
    answeredBy.values().forEach(w -> out.merge(String.valueOf(w), 1L, Long::sum));
    return out;
  }

  /** A gauge of a generator now (for example "charstream.generator.slots.active"). */
  public static double gauge(GeneratorService g, String name) {
    return g.meters().find(name).gauge().value();
  }

  /** Request ids that {@code worker} committed chunks of (it had them in its slots). */
  public java.util.Set<String> streamedBy(String worker) {
    return committedBy(worker, GenerateResponse.Type.CHUNK);
  }

  /** Characters that {@code worker} committed in chunk records, per request id, as seen so far. */
  public Map<String, Integer> streamedChars(String worker) {
    Map<String, Integer> out = new java.util.HashMap<>();
    for (ConsumerRecord<String, byte[]> r : responses.records) {
      if (worker.equals(worker(r))) {
        GenerateResponse response = Json.read(r.value(), GenerateResponse.class);
        if (response.type() == GenerateResponse.Type.CHUNK) {
          out.merge(r.key(), response.text().length(), Integer::sum);
        }
      }
    }
    return out;
  }

  /** Request ids that {@code worker} committed a final record of, as the collector saw so far. */
  public java.util.Set<String> answeredBy(String worker) {
    return committedBy(worker, GenerateResponse.Type.FINAL);
  }

  private java.util.Set<String> committedBy(String worker, GenerateResponse.Type type) {
    java.util.Set<String> out = new java.util.HashSet<>();
    for (ConsumerRecord<String, byte[]> r : responses.records) {
      if (worker.equals(worker(r)) && Json.read(r.value(), GenerateResponse.class).type() == type) {
        out.add(r.key());
      }
    }
    return out;
  }

  /** Gracefully stops every generator started here (commit, leave), so nothing writes any more. */
  public void stopGenerators() {
    for (GeneratorService s : services) {
      s.close();
    }
  }

  public static GenerateRequest request(
      String id,
      String prompt,
      int length,
      long seed,
      Long version,
      List<String> stop,
      boolean stream) {
    return GenerateRequest.builder(id, prompt)
        .length(length)
        .topN(2)
        .temperature(0.9)
        .randomSeed(seed)
        .model(null, version)
        .stop(stop)
        .stream(stream)
        .build();
  }

  /** The text a request must get from the model with weights {@code modelSeed}. */
  public static String expected(GenerateRequest r, long modelSeed) {
    // Remembered: fault tests ask for the same long texts in several tests.
    return EXPECTED.computeIfAbsent(
        java.util.Arrays.asList(
            r.prompt(), r.length(), r.topN(), r.temperature(), r.randomSeed(), modelSeed),
        k -> {
          TextGenerator g = new TextGenerator(GenerationModel.from(checkpoint(modelSeed)));
          return g.generate(
              r.prompt(),
              r.length(),
              new SamplingOptions(r.topN(), r.temperature(), r.randomSeed()));
        });
  }

  private static final Map<List<Object>, String> EXPECTED =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Every response record seen so far for {@code requestId}, in order. */
  public List<GenerateResponse> responsesOf(String requestId) {
    List<GenerateResponse> out = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : responses.records) {
      if (requestId.equals(r.key())) {
        out.add(Json.read(r.value(), GenerateResponse.class));
      }
    }
    return out;
  }

  public List<GenerateResponse> finals(String requestId) {
    return responsesOf(requestId).stream()
        .filter(r -> r.type() == GenerateResponse.Type.FINAL)
        .toList();
  }

  /** The single final response of {@code requestId}, waiting up to {@code timeout}. */
  public GenerateResponse awaitFinal(String requestId, Duration timeout) {
    await(() -> !finals(requestId).isEmpty(), timeout, "final response of " + requestId);
    return finals(requestId).get(0);
  }

  public List<ConsumerRecord<String, byte[]>> deadLetters() {
    return List.copyOf(deadLetters.records);
  }

  public int responseCount() {
    return responses.records.size();
  }

  /**
   * Polls {@code condition} until true (the collectors run in the background); fails after the
   * deadline.
   */
  public void await(BooleanSupplier condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
      responses.poll();
      deadLetters.poll();
    }
  }

  @Override
  public void close() {
    for (GeneratorService s : services) {
      s.close();
    }
    producer.close();
    responses.close();
    deadLetters.close();
  }

  /** A read_committed reader of one whole topic (all partitions, from the beginning). */
  private final class Collector {
    final List<ConsumerRecord<String, byte[]>> records = new CopyOnWriteArrayList<>();
    private final KafkaConsumer<String, byte[]> consumer;

    Collector(String topic) {
      Map<String, Object> p = new HashMap<>(kafka);
      p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
      List<TopicPartition> tps = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (tps.isEmpty()) {
        // Metadata of a topic created a moment ago may not have reached this client yet.
        assertThat(System.nanoTime()).as("metadata of " + topic).isLessThan(deadline);
        for (PartitionInfo i : consumer.partitionsFor(topic, Duration.ofSeconds(5))) {
          tps.add(new TopicPartition(topic, i.partition()));
        }
      }
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
    }

    void poll() {
      consumer.poll(Duration.ofMillis(50)).forEach(records::add);
    }

    void close() {
      consumer.close(Duration.ZERO);
    }
  }
}
