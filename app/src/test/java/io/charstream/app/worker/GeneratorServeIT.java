package io.charstream.app.worker;

import static io.charstream.app.worker.GeneratorFixture.expected;
import static io.charstream.app.worker.GeneratorFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.it.OwnBroker;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.schemas.DeadLetters;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import io.charstream.schemas.message.GenerateResponse.FinishReason;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The generator on a real in-process broker: answers, streaming, bad input, hot model swap, probes.
 */
class GeneratorServeIT {

  private static final Duration WAIT = Duration.ofSeconds(60);
  @RegisterExtension static final OwnBroker BROKER = new OwnBroker();

  @Test
  void answersRequestsWithTheModelsTextStreamedAndStopped() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(BROKER.get())) {
      GeneratorService g = f.startGenerator("serve", Map.of(GeneratorConfig.BATCH_CAPACITY, 4));
      List<GenerateRequest> plain =
          List.of(
              request("p1", "KING RICHARD", 40, 1, null, null, false),
              request("p2", "To be", 25, 2, null, null, false),
              request("p3", "Q", 60, 3, null, null, false),
              request("p4", "ROMEO:", 33, 4, null, null, false),
              request("p5", "a", 1, 5, null, null, false));
      GenerateRequest streamed = request("s1", "KING RICHARD", 80, 6, null, null, true);
      String full = expected(request("x", "Thou", 60, 7, null, null, false), 11L);
      String stop = full.substring(20, 22);
      GenerateRequest stopped = request("st", "Thou", 60, 7, null, List.of(stop), false);
      plain.forEach(f::send);
      f.send(streamed);
      f.send(stopped);

      for (GenerateRequest r : plain) {
        GenerateResponse resp = f.awaitFinal(r.requestId(), WAIT);
        assertThat(resp.text()).as(r.requestId()).isEqualTo(expected(r, 11L));
        assertThat(resp.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(resp.modelId()).isEqualTo(GeneratorFixture.MODEL);
        assertThat(resp.modelVersion()).isEqualTo(1L);
        assertThat(resp.timings().totalMs())
            .isGreaterThanOrEqualTo(resp.timings().timeToFirstCharMs());
        assertThat(resp.timings().charsPerSecond()).isPositive();
      }

      GenerateResponse s = f.awaitFinal("s1", WAIT);
      List<GenerateResponse> chunks =
          f.responsesOf("s1").stream()
              .filter(r -> r.type() == GenerateResponse.Type.CHUNK)
              .toList();
      assertThat(chunks).isNotEmpty();
      StringBuilder joined = new StringBuilder();
      for (int i = 0; i < chunks.size(); i++) {
        assertThat(chunks.get(i).sequence()).isEqualTo(i);
        joined.append(chunks.get(i).text());
      }
      assertThat(joined.toString()).isEqualTo(s.text()).isEqualTo(expected(streamed, 11L));
      assertThat(s.sequence()).isEqualTo(chunks.size());

      GenerateResponse st = f.awaitFinal("st", WAIT);
      assertThat(st.finishReason()).isEqualTo(FinishReason.STOP);
      assertThat(st.text()).isEqualTo(full.substring(0, full.indexOf(stop)));

      // Probes and metrics over HTTP.
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + g.httpPort();
      assertThat(get(http, base + "/readyz").statusCode()).isEqualTo(200);
      assertThat(get(http, base + "/livez").statusCode()).isEqualTo(200);
      String metrics = get(http, base + "/metrics").body();
      assertThat(metrics)
          .contains("charstream_generator_requests_total{outcome=\"length\"} 6.0")
          .contains("charstream_generator_requests_total{outcome=\"stop\"} 1.0")
          .contains("charstream_generator_model_version{model_id=\"tiny\"} 1.0")
          .contains("charstream_generator_batch_occupancy")
          .contains("charstream_generator_time_to_first_char_seconds");
      // Every batched step is timed: the step histogram counts what the step counter counts.
      double steps = sample(metrics, "charstream_generator_steps_total");
      assertThat(steps).isPositive();
      assertThat(sample(metrics, "charstream_generator_step_duration_seconds_count"))
          .isEqualTo(steps);
      assertThat(sample(metrics, "charstream_generator_step_duration_seconds_sum")).isPositive();
      assertThat(f.finals("p1")).hasSize(1);
    }
  }

  /** The value of an unlabelled sample in Prometheus text. */
  private static double sample(String metrics, String name) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(?m)^" + name + " (\\S+)$").matcher(metrics);
    assertThat(m.find()).as(name + " in /metrics").isTrue();
    return Double.parseDouble(m.group(1));
  }

  private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void everyKindOfBadInputGetsItsErrorOrDeadLetterAndTheWorkerKeepsGoing() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(BROKER.get())) {
      f.startGenerator(
          "bad", Map.of(GeneratorConfig.PROMPT_MAX_CHARS, 20, GeneratorConfig.LENGTH_MAX, 1024));
      String ok = "\"schemaVersion\":1,\"prompt\":\"KING\",\"length\":5";
      Map<String, String> sent =
          Map.ofEntries(
              Map.entry("b-malformed", "{\"schemaVersion\":1,\"requestId\":"),
              Map.entry(
                  "b-type",
                  "{\"schemaVersion\":1,\"requestId\":\"b-type\",\"prompt\":\"KING\",\"length\":\"ten\"}"),
              Map.entry(
                  "b-unknown-field", "{" + ok + ",\"requestId\":\"b-unknown-field\",\"lenght\":5}"),
              Map.entry(
                  "b-missing-prompt", "{\"schemaVersion\":1,\"requestId\":\"b-missing-prompt\"}"),
              Map.entry("b-model", "{" + ok + ",\"requestId\":\"b-model\",\"modelId\":\"nope\"}"),
              Map.entry("b-version", "{" + ok + ",\"requestId\":\"b-version\",\"modelVersion\":9}"),
              Map.entry(
                  "b-empty", "{\"schemaVersion\":1,\"requestId\":\"b-empty\",\"prompt\":\"\"}"),
              Map.entry(
                  "b-long",
                  "{\"schemaVersion\":1,\"requestId\":\"b-long\",\"prompt\":\""
                      + "x".repeat(21)
                      + "\"}"),
              Map.entry(
                  "b-chars",
                  "{\"schemaVersion\":1,\"requestId\":\"b-chars\",\"prompt\":\"caf\u00e9 \u2603\"}"),
              Map.entry(
                  "b-zero",
                  "{\"schemaVersion\":1,\"requestId\":\"b-zero\",\"prompt\":\"KING\",\"length\":0}"),
              Map.entry(
                  "b-huge",
                  "{\"schemaVersion\":1,\"requestId\":\"b-huge\",\"prompt\":\"KING\",\"length\":1025}"),
              Map.entry("b-temp", "{" + ok + ",\"requestId\":\"b-temp\",\"temperature\":-1}"));
      Map<String, String> kinds =
          Map.ofEntries(
              Map.entry("b-malformed", "malformed-json"), Map.entry("b-type", "invalid-field"),
              Map.entry("b-unknown-field", "invalid-field"),
                  Map.entry("b-missing-prompt", "invalid-field"),
              Map.entry("b-model", "unknown-model"), Map.entry("b-version", "unknown-model"),
              Map.entry("b-empty", "empty-prompt"), Map.entry("b-long", "prompt-too-long"),
              Map.entry("b-chars", "unknown-characters"),
                  Map.entry("b-zero", "length-out-of-range"),
              Map.entry("b-huge", "length-out-of-range"), Map.entry("b-temp", "invalid-option"));
      sent.forEach(f::send);
      f.send(null, "not json at all"); // no key, no requestId: dead letter
      f.send(
          null, "{\"schemaVersion\":1,\"prompt\":\"KING\"}"); // valid JSON, no requestId anywhere
      f.send(null, null); // an empty record without a key
      GenerateRequest good = request("good-after", "KING", 12, 3, null, null, false);
      f.send(good);

      for (Map.Entry<String, String> e : sent.entrySet()) {
        GenerateResponse r = f.awaitFinal(e.getKey(), WAIT);
        assertThat(r.finishReason()).as(e.getKey()).isEqualTo(FinishReason.ERROR);
        assertThat(r.error().kind())
            .as(e.getKey() + ": " + r.error().message())
            .isEqualTo(kinds.get(e.getKey()));
        assertThat(r.error().message()).isNotBlank();
        assertThat(f.finals(e.getKey())).hasSize(1);
      }
      assertThat(f.awaitFinal("b-chars", WAIT).error().message())
          .contains("U+00E9")
          .contains("U+2603");
      assertThat(f.awaitFinal("b-long", WAIT).error().message())
          .contains("21 characters")
          .contains("20");
      assertThat(f.awaitFinal("b-unknown-field", WAIT).error().message()).contains("lenght");
      assertThat(f.awaitFinal("good-after", WAIT).text()).isEqualTo(expected(good, 11L));

      f.await(() -> f.deadLetters().size() >= 3, WAIT, "3 dead letters");
      List<ConsumerRecord<String, byte[]>> dlq = f.deadLetters();
      assertThat(dlq).hasSize(3);
      assertThat(new String(dlq.get(0).value(), java.nio.charset.StandardCharsets.UTF_8))
          .isEqualTo("not json at all");
      for (ConsumerRecord<String, byte[]> d : dlq) {
        assertThat(DeadLetters.header(d.headers(), DeadLetters.ERROR_KIND))
            .isIn("malformed-json", "invalid-field");
        assertThat(DeadLetters.header(d.headers(), DeadLetters.ERROR_MESSAGE)).isNotBlank();
        assertThat(DeadLetters.header(d.headers(), DeadLetters.SOURCE_TOPIC))
            .isEqualTo(f.topics.generateRequests().name());
      }
    }
  }

  @Test
  void aNewCheckpointIsPickedUpWithoutRestartAndOldVersionsCanBePinned() throws Exception {
    try (GeneratorFixture f = GeneratorFixture.withModel(BROKER.get())) {
      GeneratorService g = f.startGenerator("swap", Map.of(GeneratorConfig.MODEL_WAIT_MS, 60_000L));
      GenerateRequest first = request("v-first", "KING", 20, 1, null, null, false);
      f.send(first);
      assertThat(f.awaitFinal("v-first", WAIT).modelVersion()).isEqualTo(1L);
      assertThat(g.ready()).isTrue();

      // Asked for before it exists: waits (model.wait-ms) instead of failing, as a checkpoint
      // announced a
      // moment before the request may still be on its way to this worker.
      GenerateRequest early = request("v-early", "KING", 20, 4, 2L, null, false);
      f.send(early);
      f.publishModel(2, 22L);
      GenerateResponse e = f.awaitFinal("v-early", WAIT);
      assertThat(e.modelVersion()).isEqualTo(2L);
      assertThat(e.text()).isEqualTo(expected(early, 22L));
      // Keep asking until the new version answers (it loads in the background, without a restart).
      int n = 0;
      GenerateResponse latest = null;
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (latest == null || latest.modelVersion() != 2L) {
        assertThat(System.nanoTime()).as("version 2 picked up").isLessThan(deadline);
        GenerateRequest r = request("v-" + n++, "KING", 20, 1, null, null, false);
        f.send(r);
        latest = f.awaitFinal(r.requestId(), WAIT);
        assertThat(latest.text()).isEqualTo(expected(r, latest.modelVersion() == 2L ? 22L : 11L));
      }
      GenerateRequest pinned = request("v-pinned", "KING", 20, 1, 1L, null, false);
      f.send(pinned);
      GenerateResponse p = f.awaitFinal("v-pinned", WAIT);
      assertThat(p.modelVersion()).isEqualTo(1L);
      assertThat(p.text()).isEqualTo(expected(pinned, 11L)).isNotEqualTo(latest.text());
    }
  }
}
