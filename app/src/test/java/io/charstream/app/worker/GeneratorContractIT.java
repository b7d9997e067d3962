package io.charstream.app.worker;

import static io.charstream.app.worker.GeneratorFixture.expected;
import static io.charstream.app.worker.GeneratorFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.it.OwnBroker;
import io.charstream.app.it.TopicReader;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.schemas.Topic;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import io.charstream.schemas.message.GenerateResponse.FinishReason;
import io.charstream.schemas.message.Priority;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;
import org.springframework.kafka.requestreply.ReplyingKafkaTemplate;
import org.springframework.kafka.requestreply.RequestReplyFuture;

/**
 * The serving contract of issue 16 on a real in-process broker: cancels (tombstones), deadlines,
 * priorities, reply topics and trace headers, each answered exactly once.
 */
class GeneratorContractIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  /** The contract's longest request: still running when the test acts on it. */
  private static final int LONG = 1_000_000;

  /** One slot, for requests of up to {@link #LONG} characters. */
  private static final Map<String, Object> ONE_SLOT =
      Map.of(GeneratorConfig.BATCH_CAPACITY, 1, GeneratorConfig.LENGTH_MAX, LONG);

  // A killed worker's open transaction is aborted soon after transaction.timeout.ms (5 s in the
  // fixture), as in GeneratorFailoverIT.
  @RegisterExtension static final OwnBroker BROKER = OwnBroker.abortingDeadTransactionsQuickly();

  /** A tombstone for {@code requestId} on one partition of the requests topic. */
  private static void tombstone(GeneratorFixture f, String requestId, int partition) {
    try (KafkaProducer<String, byte[]> p =
        new KafkaProducer<>(
            new HashMap<>(f.kafka), new StringSerializer(), new ByteArraySerializer())) {
      p.send(new ProducerRecord<>(f.topics.generateRequests().name(), partition, requestId, null));
    }
  }

  /** True once {@code requestId} has streamed at least one committed chunk: it is running. */
  private static boolean streaming(GeneratorFixture f, String requestId) {
    return f.responsesOf(requestId).stream().anyMatch(r -> r.type() == GenerateResponse.Type.CHUNK);
  }

  @Test
  void aTombstoneCancelsARunningOrQueuedRequestOnceAndIsANoOpOtherwise() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(BROKER.get())) {
      GeneratorService g = f.startGenerator("cancel", ONE_SLOT);
      GenerateRequest done = request("c-done", "KING", 20, 1, null, null, false);
      f.send(done);
      assertThat(f.awaitFinal("c-done", WAIT).text()).isEqualTo(expected(done, 11L));

      // One slot: c-long runs, c-queued waits behind it (one partition keeps them in that order;
      // a tombstone goes where its request went).
      GenerateRequest running = request("c-long", "KING", LONG, 2, null, null, true);
      GenerateRequest queued = request("c-queued", "KING", LONG, 3, null, null, false);
      f.sendTo(running, 0);
      f.sendTo(queued, 0);
      f.await(() -> streaming(f, "c-long"), WAIT, "c-long streaming");

      tombstone(f, "c-queued", 0); // cancel the queued one: answered without work
      GenerateResponse q = f.awaitFinal("c-queued", WAIT);
      assertThat(q.finishReason()).isEqualTo(FinishReason.CANCELLED);
      assertThat(q.text()).isEmpty();
      assertThat(q.timings()).isNull();
      assertThat(f.finals("c-long")).as("c-long still running").isEmpty();

      tombstone(f, "c-long", 0); // cancel the running one: answered with the text so far
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
      // The chars/s gauge that kept reading the last window's rate while idle is gone (issue 16).
      assertThat(g.meters().find("charstream.generator.chars.per.second").meter()).isNull();
      assertThat(g.meters().find("charstream.generator.generated.chars").counter().count())
          .isPositive();
    }
  }

  private static GenerateRequest timed(String id, int length, long seed, Long timeoutMs) {
    return request(id, "KING", length, seed, null, null, true).toBuilder()
        .timeoutMs(timeoutMs)
        .build();
  }

  @Test
  void deadlinesAnswerQueuedRequestsWithoutWorkAndCutRunningOnes() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(BROKER.get())) {
      GeneratorService g =
          f.startGenerator(
              "deadline", GeneratorFixture.with(ONE_SLOT, GeneratorConfig.QUEUE_MAX_WAIT_MS, 400L));
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

  private static final String TRACEPARENT =
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  /** A reply topic of {@code partitions} on this class's broker, unique to the calling test. */
  private static Topic<String, GenerateResponse> replyTopic(
      GeneratorFixture f, String name, int partitions) throws Exception {
    String full = "charstream.replies." + name + "-" + System.nanoTime() % 1_000_000;
    BROKER
        .get()
        .admin()
        .createTopics(List.of(new NewTopic(full, partitions, (short) 1)))
        .all()
        .get();
    Topic<String, GenerateResponse> r = f.topics.generateResponses();
    return new Topic<>("replies", full, r.keySerde(), r.valueSerde(), r.settings());
  }

  private static String header(ConsumerRecord<?, ?> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static ProducerRecord<String, byte[]> withHeaders(
      String topic, String key, String json, String... nameValue) {
    ProducerRecord<String, byte[]> rec =
        new ProducerRecord<>(
            topic, key, json == null ? null : json.getBytes(StandardCharsets.UTF_8));
    for (int i = 0; i < nameValue.length; i += 2) {
      rec.headers().add(nameValue[i], nameValue[i + 1].getBytes(StandardCharsets.UTF_8));
    }
    return rec;
  }

  @Test
  void replyTopicsGetTheAnswersWithCorrelationAndTraceContextEchoed() throws Exception {
    try (GeneratorFixture f = new GeneratorFixture(BROKER.get());
        KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(
                new HashMap<>(f.kafka), new StringSerializer(), new ByteArraySerializer())) {
      f.publishModel(1, 11L);
      f.startGenerator("replies", Map.of(GeneratorConfig.BATCH_CAPACITY, 4));
      Topic<String, GenerateResponse> replies = replyTopic(f, "me", 2);
      String requests = f.topics.generateRequests().name();
      GenerateRequest streamed = request("r-reply", "KING", 300, 1, null, null, true);
      ProducerRecord<String, byte[]> rec =
          withHeaders(
              requests,
              "r-reply",
              new String(
                  io.charstream.schemas.json.Json.write(streamed, GenerateRequest.class),
                  StandardCharsets.UTF_8),
              "kafka_replyTopic",
              replies.name(),
              "kafka_correlationId",
              "corr-1",
              "traceparent",
              TRACEPARENT,
              "tracestate",
              "congo=t61rcWkgMzE");
      rec.headers().add("kafka_replyPartition", ByteBuffer.allocate(4).putInt(1).array());
      producer.send(rec);
      String ok = "{\"schemaVersion\":1,\"prompt\":\"KING\",\"length\":5,\"requestId\":";
      producer.send(
          withHeaders(
              requests,
              "r-refused",
              ok + "\"r-refused\"}",
              "kafka_replyTopic",
              f.topics.generateRequests().name(),
              "kafka_correlationId",
              "corr-2"));
      producer.send(
          withHeaders(
              requests,
              "r-missing",
              ok + "\"r-missing\"}",
              "kafka_replyTopic",
              "charstream.replies.nobody-made-this"));
      producer.send(
          withHeaders(requests, "r-traced", ok + "\"r-traced\"}", "traceparent", TRACEPARENT));
      producer.send(withHeaders(requests, null, "not json", "traceparent", TRACEPARENT));
      producer.flush();

      for (String id : List.of("r-refused", "r-missing")) {
        GenerateResponse r = f.awaitFinal(id, WAIT);
        assertThat(r.finishReason()).as(id).isEqualTo(FinishReason.ERROR);
        assertThat(r.error().kind()).as(id).isEqualTo("reply-topic-not-allowed");
      }
      assertThat(f.awaitFinal("r-missing", WAIT).error().message()).contains("does not exist");
      assertThat(f.awaitFinal("r-traced", WAIT).text()).hasSize(5);
      f.await(() -> !f.deadLetters().isEmpty(), WAIT, "the dead letter");
      assertThat(header(f.deadLetters().get(0), "traceparent")).isEqualTo(TRACEPARENT);

      f.await(
          () ->
              TopicReader.readCommittedToEnd(new HashMap<>(f.kafka), replies, WAIT).stream()
                  .anyMatch(r -> r.value().type() == GenerateResponse.Type.FINAL),
          WAIT,
          "the final record on the reply topic");
      f.stopGenerators();
      List<ConsumerRecord<String, GenerateResponse>> onReply =
          TopicReader.readCommittedToEnd(new HashMap<>(f.kafka), replies, WAIT);
      assertThat(onReply).isNotEmpty();
      StringBuilder chunks = new StringBuilder();
      for (ConsumerRecord<String, GenerateResponse> r : onReply) {
        assertThat(r.key()).isEqualTo("r-reply");
        assertThat(r.partition()).isEqualTo(1);
        assertThat(header(r, "kafka_correlationId")).isEqualTo("corr-1");
        assertThat(header(r, "traceparent")).isEqualTo(TRACEPARENT);
        assertThat(header(r, "tracestate")).isEqualTo("congo=t61rcWkgMzE");
        assertThat(GeneratorFixture.worker(r)).isEqualTo("replies");
        if (r.value().type() == GenerateResponse.Type.CHUNK) {
          chunks.append(r.value().text());
        }
      }
      GenerateResponse last = onReply.get(onReply.size() - 1).value();
      assertThat(last.type()).isEqualTo(GenerateResponse.Type.FINAL);
      assertThat(last.text()).isEqualTo(chunks.toString()).isEqualTo(expected(streamed, 11L));
      assertThat(onReply.stream().filter(r -> r.value().type() == GenerateResponse.Type.FINAL))
          .hasSize(1);

      List<ConsumerRecord<String, GenerateResponse>> onDefault = f.committedResponses();
      assertThat(onDefault).noneMatch(r -> r.key().equals("r-reply"));
      for (ConsumerRecord<String, GenerateResponse> r : onDefault) {
        switch (r.key()) {
          case "r-refused" -> assertThat(header(r, "kafka_correlationId")).isEqualTo("corr-2");
          case "r-traced" -> assertThat(header(r, "traceparent")).isEqualTo(TRACEPARENT);
          default -> assertThat(header(r, "traceparent")).as(r.key()).isNull();
        }
      }
      assertThat(onDefault).hasSize(3);
    }
  }

  @Test
  void springKafkasReplyingKafkaTemplateGetsItsAnswers() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(BROKER.get())) {
      f.startGenerator("spring", Map.of(GeneratorConfig.BATCH_CAPACITY, 4));
      Topic<String, GenerateResponse> replies = replyTopic(f, "spring", 2);
      Map<String, Object> producerProps = new HashMap<>(f.kafka);
      producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
      producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
      Map<String, Object> consumerProps = new HashMap<>(f.kafka);
      consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
      consumerProps.put(
          ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
      consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      ContainerProperties container = new ContainerProperties(replies.name());
      container.setGroupId("spring-replies-" + System.nanoTime());
      ReplyingKafkaTemplate<String, byte[], byte[]> template =
          new ReplyingKafkaTemplate<>(
              new DefaultKafkaProducerFactory<>(producerProps),
              new KafkaMessageListenerContainer<>(
                  new DefaultKafkaConsumerFactory<>(consumerProps), container));
      template.setDefaultReplyTimeout(WAIT);
      template.afterPropertiesSet();
      template.start();
      try {
        assertThat(template.waitForAssignment(WAIT)).isTrue();
        List<GenerateRequest> sent = new java.util.ArrayList<>();
        List<RequestReplyFuture<String, byte[], byte[]>> futures = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
          GenerateRequest r = request("spring-" + i, "KING", 20 + i, i, null, null, false);
          sent.add(r);
          futures.add(
              template.sendAndReceive(
                  new ProducerRecord<>(
                      f.topics.generateRequests().name(),
                      r.requestId(),
                      io.charstream.schemas.json.Json.write(r, GenerateRequest.class))));
        }
        for (int i = 0; i < sent.size(); i++) {
          ConsumerRecord<String, byte[]> reply =
              futures.get(i).get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
          GenerateResponse r =
              io.charstream.schemas.json.Json.read(reply.value(), GenerateResponse.class);
          assertThat(reply.key()).isEqualTo(sent.get(i).requestId());
          assertThat(reply.topic()).isEqualTo(replies.name());
          assertThat(r.type()).isEqualTo(GenerateResponse.Type.FINAL);
          assertThat(r.text()).isEqualTo(expected(sent.get(i), 11L));
        }
        // An error reaches the template the same way.
        ConsumerRecord<String, byte[]> bad =
            template
                .sendAndReceive(
                    new ProducerRecord<>(
                        f.topics.generateRequests().name(),
                        "spring-bad",
                        "{\"schemaVersion\":1,\"requestId\":\"spring-bad\",\"prompt\":\"\"}"
                            .getBytes(StandardCharsets.UTF_8)))
                .get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        assertThat(
                io.charstream.schemas.json.Json.read(bad.value(), GenerateResponse.class)
                    .error()
                    .kind())
            .isEqualTo("empty-prompt");
      } finally {
        template.stop();
        template.destroy();
      }
    }
  }

  @Test
  void freeSlotsGoToInteractiveRequestsBeforeBatchOnes() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(BROKER.get())) {
      GeneratorService g = f.startGenerator("priority", ONE_SLOT);
      // One slot, held until cancelled, while batch and then interactive requests queue.
      f.send(timed("q-hold", LONG, 1, null));
      f.await(() -> streaming(f, "q-hold"), WAIT, "q-hold streaming");
      List<String> order = List.of("q-b1", "q-b2", "q-i1", "q-i2");
      for (String id : order) {
        GenerateRequest r = request(id, "KING", 5_000, 2, null, null, false);
        // One partition: the worker reads them in the order sent (across partitions it need not).
        f.sendTo(r.toBuilder().priority(id.startsWith("q-b") ? Priority.BATCH : null).build(), 0);
      }
      // All four are queued once the worker reads past the last one; then the slot frees.
      f.await(
          () -> GeneratorFixture.gauge(g, "charstream.generator.queue.depth") == 4.0,
          WAIT,
          "four requests queued");
      f.send("q-hold", null);
      for (String id : order) {
        assertThat(f.awaitFinal(id, WAIT).finishReason()).isEqualTo(FinishReason.LENGTH);
      }
      f.stopGenerators();
      // When each started: its request record's timestamp plus its queue wait (one slot, so
      // starts are a whole request's generation apart).
      Map<String, Long> sentAt = new HashMap<>();
      TopicReader.readCommittedToEnd(new HashMap<>(f.kafka), f.topics.generateRequests(), WAIT)
          .forEach(r -> sentAt.put(r.key(), r.timestamp()));
      List<String> answered =
          order.stream()
              .sorted(
                  java.util.Comparator.comparingDouble(
                      id -> sentAt.get(id) + f.finals(id).get(0).timings().queueWaitMs()))
              .toList();
      assertThat(answered).containsExactly("q-i1", "q-i2", "q-b1", "q-b2");
      assertThat(
              g.meters()
                  .find("charstream.generator.requests.by.priority")
                  .tag("priority", "batch")
                  .tag("outcome", "length")
                  .counter()
                  .count())
          .isEqualTo(2.0);
    }
  }

  @Test
  void cancelsInFlightWhenAWorkerIsKilledStillGiveExactlyOneFinalPerRequest() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(BROKER.get())) {
      Map<String, Object> config = GeneratorFixture.slots(4, 4, LONG);
      GeneratorService victim = f.startGenerator("victim", config);
      assertThat(victim.awaitReady(WAIT)).isTrue();
      List<GenerateRequest> requests =
          f.sendEach(0, 6, i -> request("k-" + i, "KING", LONG, i, null, null, true));
      f.await(() -> !f.streamedBy("victim").isEmpty(), WAIT, "the victim streaming");
      // Cancels of half the requests, the kill right behind them: some may be answered and
      // committed by the victim, some read again by the heir with their tombstones.
      for (int i = 0; i < 3; i++) {
        f.send("k-" + i, null);
      }
      victim.kill();
      GeneratorService heir = f.startGenerator("heir", config);
      assertThat(heir.awaitReady(WAIT)).isTrue();
      f.await(
          () -> !f.streamedBy("heir").isEmpty() || !f.answeredBy("heir").isEmpty(),
          WAIT,
          "the heir at work");
      for (int i = 3; i < 6; i++) {
        f.send("k-" + i, null); // the rest, cancelled while the heir runs or queues them
      }
      for (GenerateRequest r : requests) {
        f.awaitFinal(r.requestId(), WAIT);
      }
      f.stopGenerators();
      Map<String, List<GeneratorFixture.Final>> finals = f.committedFinals();
      for (GenerateRequest r : requests) {
        List<GeneratorFixture.Final> mine = finals.get(r.requestId());
        assertThat(mine).as(r.requestId()).hasSize(1);
        GenerateResponse resp = mine.get(0).response();
        assertThat(resp.finishReason()).as(r.requestId()).isEqualTo(FinishReason.CANCELLED);
        int n = Math.min(resp.text().length(), 2_000);
        assertThat(resp.text().substring(0, n))
            .as(r.requestId())
            .isEqualTo(
                n == 0
                    ? ""
                    : expected(
                        request(r.requestId(), "KING", n, r.randomSeed(), null, null, true), 11L));
      }
    }
  }

  @Test
  void severalSamplesAndLogprobsComeInTheFinalRecord() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(BROKER.get())) {
      f.startGenerator("samples", Map.of(GeneratorConfig.BATCH_CAPACITY, 4));
      f.send(
          "s-3",
          "{\"schemaVersion\":1,\"requestId\":\"s-3\",\"prompt\":\"KING\",\"length\":40,"
              + "\"topN\":2,\"temperature\":0.9,\"randomSeed\":5,\"n\":3,\"logprobs\":2}");
      f.send("s-5", "{\"schemaVersion\":1,\"requestId\":\"s-5\",\"prompt\":\"KING\",\"n\":5}");
      GenerateResponse r = f.awaitFinal("s-3", WAIT);
      assertThat(r.choices()).hasSize(3);
      for (int i = 0; i < 3; i++) {
        GenerateResponse.Choice c = r.choices().get(i);
        assertThat(c.index()).isEqualTo(i);
        assertThat(c.text())
            .as("choice %d: the text of randomSeed 5 + %d", i, i)
            .isEqualTo(expected(request("s", "KING", 40, 5 + i, null, null, false), 11L));
        assertThat(c.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(c.logprobs()).hasSize(40);
      }
      assertThat(r.text()).isEqualTo(r.choices().get(0).text());
      assertThat(r.logprobs()).isEqualTo(r.choices().get(0).logprobs());
      for (GenerateResponse.CharLogprob lp : r.logprobs()) {
        assertThat(lp.top()).hasSize(2);
        assertThat(lp.logprob()).isBetween(lp.top().get(1).logprob(), 0.0);
      }
      GenerateResponse five = f.awaitFinal("s-5", WAIT);
      assertThat(five.error().kind()).isEqualTo("invalid-option");
      assertThat(five.error().message()).contains("1..4");
    }
  }

  /** Runs {@code charstream prompt} in this JVM against the fixture's topics; status and output. */
  private static Map.Entry<Integer, String> prompt(GeneratorFixture f, String... args) {
    List<String> all =
        new java.util.ArrayList<>(
            List.of(
                "prompt",
                "--bootstrap-servers",
                BROKER.get().bootstrapServers(),
                "--topic-prefix",
                f.topics.prefix()));
    all.addAll(List.of(args));
    java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
    java.io.PrintStream out = System.out;
    java.io.PrintStream err = System.err;
    java.io.PrintStream capture = new java.io.PrintStream(buffer, true, StandardCharsets.UTF_8);
    int status;
    try {
      System.setOut(capture);
      System.setErr(capture);
      status = io.charstream.app.Main.newCommandLine().execute(all.toArray(String[]::new));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    return Map.entry(status, buffer.toString(StandardCharsets.UTF_8));
  }

  @Test
  void thePromptCommandCancelsSamplesAndShowsLogprobs() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(BROKER.get())) {
      f.startGenerator(
          "cli", Map.of(GeneratorConfig.BATCH_CAPACITY, 4, GeneratorConfig.LENGTH_MAX, LONG));
      var cancelled =
          prompt(f, "--seed", "KING", "--length", String.valueOf(LONG), "--cancel-after", "300");
      assertThat(cancelled.getKey()).as(cancelled.getValue()).isZero();
      assertThat(cancelled.getValue()).contains("finish cancelled");
      var samples =
          prompt(
              f,
              "--seed",
              "KING",
              "--length",
              "10",
              "-n",
              "2",
              "--logprobs",
              "1",
              "--priority",
              "batch",
              "--timeout-ms",
              "60000");
      assertThat(samples.getKey()).as(samples.getValue()).isZero();
      assertThat(samples.getValue())
          .contains("--- sample 1 (length) ---")
          .contains("finish length");
      assertThat(samples.getValue().lines().filter(l -> l.contains(" | "))).hasSize(10);
      var bad = prompt(f, "--seed", "KING", "--priority", "urgent");
      assertThat(bad.getKey()).as(bad.getValue()).isEqualTo(2);
      assertThat(bad.getValue()).contains("--priority must be interactive or batch");
    }
  }
}
