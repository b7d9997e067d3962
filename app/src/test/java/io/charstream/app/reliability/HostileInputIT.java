package io.charstream.app.reliability;

import static io.charstream.app.worker.GeneratorFixture.expected;
import static io.charstream.app.worker.GeneratorFixture.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.charstream.app.it.Await;
import io.charstream.app.it.KafkaBroker;
import io.charstream.app.reliability.HostileInputs.Hostile;
import io.charstream.app.reliability.HostileInputs.Outcome;
import io.charstream.app.worker.GeneratorFixture;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.schemas.DeadLetters;
import io.charstream.schemas.TopicSettings;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import io.charstream.schemas.message.GenerateResponse.FinishReason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Sends the whole {@link HostileInputs} catalogue to a running generator, a valid request after
 * each bad record, and checks that each bad record gets the outcome documented for it, that every
 * valid request is answered with its text, that nothing is answered twice, and that the worker
 * stays up.
 */
class HostileInputIT {

  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();

  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void everyHostileRequestGetsItsDocumentedOutcomeAndTheValidOnesBetweenThemAreAnswered()
      throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(KAFKA.broker())) {
      GeneratorService g =
          f.startGenerator(
              "hostile",
              Map.of(
                  GeneratorConfig.PROMPT_MAX_CHARS,
                  HostileInputs.PROMPT_MAX_CHARS,
                  GeneratorConfig.LENGTH_MAX,
                  HostileInputs.LENGTH_MAX,
                  GeneratorConfig.BATCH_CAPACITY,
                  8));
      List<Hostile> catalogue = HostileInputs.generateRequests();
      List<GenerateRequest> valid = new ArrayList<>();
      for (int i = 0; i < catalogue.size(); i++) {
        Hostile h = catalogue.get(i);
        f.sendBytes(h.key(), h.value());
        GenerateRequest ok = request("ok-" + i, "KING", 8 + i % 5, i, null, null, i % 4 == 0);
        valid.add(ok);
        f.send(ok);
      }

      for (GenerateRequest ok : valid) {
        GenerateResponse r = f.awaitFinal(ok.requestId(), WAIT);
        assertThat(r.text()).as(ok.requestId()).isEqualTo(expected(ok, 11L));
      }
      int errors = 0;
      List<String> wrong = new ArrayList<>();
      for (Hostile h : catalogue) {
        if (h.outcome() instanceof Outcome.ErrorResponse e) {
          GenerateResponse r = f.awaitFinal(e.requestId(), WAIT);
          if (r.finishReason() != FinishReason.ERROR || !e.kind().equals(r.error().kind())) {
            wrong.add(
                h.name()
                    + ": expected "
                    + e.kind()
                    + ", got "
                    + r.finishReason()
                    + (r.error() == null
                        ? ""
                        : " " + r.error().kind() + " (" + r.error().message() + ")"));
          } else {
            List<String> missing = HostileInputs.missing(e.message(), r.error().message());
            if (!missing.isEmpty()) {
              wrong.add(
                  h.name()
                      + ": the message lacks "
                      + missing
                      + ": "
                      + HostileInputs.shown(r.error().message()));
            }
            assertThat(r.error().message()).as(h.name()).hasSizeLessThan(100_000);
          }
          errors++;
        }
      }
      assertThat(wrong).as("outcomes that differ from the catalogue").isEmpty();
      List<Hostile> dead =
          catalogue.stream().filter(h -> h.outcome() instanceof Outcome.DeadLetter).toList();
      f.await(() -> f.deadLetters().size() >= dead.size(), WAIT, dead.size() + " dead letters");
      assertDeadLetters(f, dead);

      assertThat(g.liveness().ok()).as(g.liveness().reason()).isTrue();
      assertThat(g.ready()).isTrue();
      // Exactly one final record per request id, bad or good, counted once every partition of the
      // response topic was read to its end with the generator stopped.
      f.stopGenerators();
      Map<String, List<GeneratorFixture.Final>> finals = f.committedFinals();
      for (Hostile h : catalogue) {
        if (h.outcome() instanceof Outcome.ErrorResponse e) {
          assertThat(finals.get(e.requestId())).as(h.name()).hasSize(1);
        }
      }
      for (GenerateRequest ok : valid) {
        assertThat(finals.get(ok.requestId())).as(ok.requestId()).hasSize(1);
      }
      for (Hostile h : catalogue) {
        if (h.outcome() instanceof Outcome.Ignored) {
          assertThat(finals).as(h.name()).doesNotContainKey(h.key());
        }
      }
      double counted =
          g.meters().find("charstream.generator.errors").counters().stream()
              .mapToDouble(c -> c.count())
              .sum();
      assertThat(counted).isEqualTo(errors + dead.size());
      System.out.printf(
          "hostile input: %d bad records (%d error responses, %d dead letters), %d valid answered%n",
          catalogue.size(), errors, dead.size(), valid.size());
    }
  }

  /**
   * A 10 MB record. With the topic's limit (max.message.bytes 1 MiB) the broker refuses it even
   * from a producer whose max.request.size allows it: nothing reaches the worker. If an operator
   * raises the topic's limit, the worker reads it and answers (prompt too long), and a 10 MB record
   * with no requestId goes to the dead-letter topic; the worker stays up and answers the next
   * request.
   */
  @Test
  void aTenMegabyteRecordIsRefusedByTheBrokerOrAnsweredWhenTheTopicAllowsIt() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(KAFKA.broker())) {
      GeneratorService g = f.startGenerator("huge", Map.of(GeneratorConfig.PROMPT_MAX_CHARS, 4096));
      String topic = f.topics.generateRequests().name();
      byte[] huge =
          ("{\"schemaVersion\":1,\"requestId\":\"h-10mb\",\"length\":5,\"prompt\":\""
                  + "x".repeat(TEN_MB)
                  + "\"}")
              .getBytes(StandardCharsets.UTF_8);
      byte[] hugeGarbage = new byte[TEN_MB];
      Arrays.fill(hugeGarbage, (byte) '#');
      Map<String, Object> p = new HashMap<>(f.kafka);
      p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * TopicSettings.MIB);
      p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * TopicSettings.MIB);
      try (KafkaProducer<String, byte[]> producer =
          new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
        Throwable refused =
            catchThrowable(() -> producer.send(new ProducerRecord<>(topic, "h-10mb", huge)).get());
        assertThat(refused)
            .isInstanceOf(ExecutionException.class)
            .cause()
            .isInstanceOf(RecordTooLargeException.class);

        try (Admin admin = KAFKA.broker().admin()) {
          admin
              .incrementalAlterConfigs(
                  Map.of(
                      new ConfigResource(ConfigResource.Type.TOPIC, topic),
                      List.of(
                          new AlterConfigOp(
                              new ConfigEntry(
                                  TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                                  Integer.toString(16 * TopicSettings.MIB)),
                              AlterConfigOp.OpType.SET))))
              .all()
              .get();
        }
        // The broker applies the new limit from its metadata log: retry until it does.
        Await.until(
            WAIT,
            "the broker to accept a 10 MB record",
            () -> {
              try {
                producer.send(new ProducerRecord<>(topic, "h-10mb", huge)).get();
                return true;
              } catch (ExecutionException e) {
                if (e.getCause() instanceof RecordTooLargeException) return false;
                throw new AssertionError(e);
              } catch (InterruptedException e) {
                throw new AssertionError(e);
              }
            });
        producer.send(new ProducerRecord<>(topic, null, hugeGarbage)).get();
      }
      GenerateRequest after = request("after-10mb", "KING", 12, 5, null, null, false);
      f.send(after);

      GenerateResponse r = f.awaitFinal("h-10mb", WAIT);
      assertThat(r.finishReason()).isEqualTo(FinishReason.ERROR);
      assertThat(r.error().kind()).isEqualTo("prompt-too-long");
      assertThat(r.error().message()).contains(Integer.toString(TEN_MB)).contains("4096");
      assertThat(f.awaitFinal("after-10mb", WAIT).text()).isEqualTo(expected(after, 11L));
      f.await(() -> !f.deadLetters().isEmpty(), WAIT, "the 10 MB dead letter");
      ConsumerRecord<String, byte[]> d = f.deadLetters().get(0);
      assertThat(DeadLetters.header(d.headers(), DeadLetters.ERROR_KIND))
          .isEqualTo("malformed-json");
      assertThat(DeadLetters.header(d.headers(), DeadLetters.ERROR_MESSAGE))
          .startsWith("value cut to its first");
      assertThat(d.value().length).isPositive().isLessThan(TopicSettings.MIB);
      assertThat(g.liveness().ok()).as(g.liveness().reason()).isTrue();
      f.stopGenerators();
      assertThat(f.committedFinals().get("h-10mb")).hasSize(1);
      System.out.printf(
          "10 MB record: refused by the broker at 1 MiB; at 16 MiB answered, dead letter of %d bytes%n",
          d.value() == null ? 0 : d.value().length);
    }
  }

  private static final int TEN_MB = 10 * 1024 * 1024;

  /** Each dead letter carries one catalogue entry's original bytes and its error headers. */
  private static void assertDeadLetters(GeneratorFixture f, List<Hostile> dead) {
    List<ConsumerRecord<String, byte[]>> letters = f.deadLetters();
    assertThat(letters).hasSize(dead.size());
    List<Hostile> unmatched = new ArrayList<>(dead);
    for (ConsumerRecord<String, byte[]> d : letters) {
      Hostile h =
          unmatched.stream()
              .filter(x -> holds(x, d.value()))
              .findFirst()
              .orElseThrow(
                  () -> new AssertionError("dead letter matches no catalogue entry: " + d));
      unmatched.remove(h);
      assertThat(d.key()).as(h.name()).isNull();
      assertThat(DeadLetters.header(d.headers(), DeadLetters.ERROR_KIND))
          .as(h.name())
          .isEqualTo(((Outcome.DeadLetter) h.outcome()).kind());
      String message = DeadLetters.header(d.headers(), DeadLetters.ERROR_MESSAGE);
      assertThat(HostileInputs.missing(((Outcome.DeadLetter) h.outcome()).message(), message))
          .as("%s: parts its dead letter's message (%s) lacks", h.name(), message)
          .isEmpty();
      assertThat(DeadLetters.header(d.headers(), DeadLetters.SOURCE_TOPIC))
          .isEqualTo(f.topics.generateRequests().name());
      assertThat(DeadLetters.header(d.headers(), DeadLetters.SOURCE_OFFSET)).isNotBlank();
    }
    assertThat(unmatched).isEmpty();
  }

  /**
   * True when a dead letter's value is the entry's value (or, for a cut one, a proper head of it).
   */
  private static boolean holds(Hostile h, byte[] letter) {
    if (((Outcome.DeadLetter) h.outcome()).cut()) {
      return letter != null
          && h.value() != null
          && letter.length > 0
          && letter.length < h.value().length
          && Arrays.equals(letter, Arrays.copyOf(h.value(), letter.length));
    }
    return Arrays.equals(h.value(), letter);
  }
}
