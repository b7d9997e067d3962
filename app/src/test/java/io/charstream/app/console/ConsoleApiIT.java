package io.charstream.app.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.charstream.app.it.Await;
import io.charstream.app.it.KafkaBroker;
import io.charstream.app.it.TopicReader;
import io.charstream.app.worker.GeneratorFixture;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.TrainingStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The HTTP API and the console's feeds over the real topics, as curl or an OpenAI client sees them:
 * a generator serving a small model on the in-process broker, the console in front of it (as {@code
 * charstream up} runs them), and the JDK's HTTP client. Every completion's text is compared with
 * the offline oracle for its prompt, options and seed.
 */
class ConsoleApiIT {
  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final long MODEL_SEED = 11L;

  static GeneratorFixture fixture;
  static GeneratorService generator;
  static Console console;
  static String base;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    fixture = new GeneratorFixture(KAFKA.broker());
    fixture.publishModel(1, MODEL_SEED);
    // Chunks every few milliseconds, so a streamed answer arrives in several pieces.
    generator =
        fixture.startGenerator(
            "console-api",
            Map.of(GeneratorConfig.HTTP_PORT, -1, GeneratorConfig.COMMIT_INTERVAL_MS, 5));
    assertThat(generator.awaitReady(WAIT)).as("generator ready").isTrue();
    console =
        Console.start(
            config(Map.of(ConsoleConfig.MAX_BODY_BYTES, 4096)),
            fixture.kafka,
            Optional.of(generator));
    base = "http://127.0.0.1:" + console.port();
  }

  static ConsoleConfig config(Map<String, Object> overrides) {
    EnvConfig.Builder b =
        EnvConfig.builder(ConsoleConfig.DEF)
            .env(Map.of())
            .override(CommonKeys.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers())
            .override(CommonKeys.TOPIC_PREFIX, fixture.topics.prefix())
            .override(ConsoleConfig.HTTP_PORT, 0)
            .override(ConsoleConfig.REQUEST_TIMEOUT_MS, 30_000L);
    overrides.forEach(b::override);
    return ConsoleConfig.from(b.build());
  }

  @AfterAll
  static void stop() {
    if (console != null) console.close();
    if (fixture != null) fixture.close();
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(base + path))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(base + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }

  /** The offline oracle's text for a body with temperature 0.9, top_k 2 (the fixture's). */
  static String expected(String prompt, int length, long seed) {
    GenerateRequest r = GeneratorFixture.request("oracle", prompt, length, seed, null, null, false);
    return GeneratorFixture.expected(r, MODEL_SEED);
  }

  /** A body pinned to version 1 (a test publishes version 2 of the same weights). */
  static String body(String prompt, int length, long seed, boolean stream) {
    return "{\"model\":\"tiny@1\",\"prompt\":"
        + JSON.valueToTree(prompt)
        + ",\"max_tokens\":"
        + length
        + ",\"temperature\":0.9,\"top_k\":2,\"seed\":"
        + seed
        + ",\"stream\":"
        + stream
        + "}";
  }

  /** The data lines of an SSE body, in order. */
  static List<String> dataLines(String sse) {
    List<String> out = new ArrayList<>();
    for (String event : sse.split("\n\n")) {
      for (String line : event.split("\n")) {
        if (line.startsWith("data: ")) out.add(line.substring(6));
      }
    }
    return out;
  }

  @Test
  void aCompletionIsTheOpenAiObjectWithTheModelsText() throws Exception {
    HttpResponse<String> r = post("/v1/completions", body("KING RICHARD", 300, 7, false));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    JsonNode c = json(r);
    assertThat(c.path("id").asText()).startsWith("cmpl-");
    assertThat(c.path("object").asText()).isEqualTo("text_completion");
    assertThat(c.path("created").asLong())
        .isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(120L));
    assertThat(c.path("model").asText()).isEqualTo(GeneratorFixture.MODEL + "@1");
    JsonNode choice = c.path("choices").get(0);
    assertThat(choice.path("index").asInt()).isZero();
    assertThat(choice.path("finish_reason").asText()).isEqualTo("length");
    assertThat(choice.path("text").asText()).isEqualTo(expected("KING RICHARD", 300, 7));
    assertThat(c.path("usage").path("prompt_tokens").asInt()).isEqualTo(12);
    assertThat(c.path("usage").path("completion_tokens").asInt()).isEqualTo(300);
    assertThat(c.path("usage").path("total_tokens").asInt()).isEqualTo(312);
  }

  @Test
  void aStreamedCompletionSendsTheSameTextInChunksThenDone() throws Exception {
    HttpResponse<String> r = post("/v1/completions", body("KING RICHARD", 3000, 7, true));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/event-stream; charset=utf-8");
    List<String> data = dataLines(r.body());
    assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
    assertThat(data.size())
        .as("chunk events, the final event and [DONE]")
        .isGreaterThanOrEqualTo(3);
    StringBuilder text = new StringBuilder();
    String id = null;
    for (int i = 0; i < data.size() - 1; i++) {
      JsonNode e = JSON.readTree(data.get(i));
      if (id == null) id = e.path("id").asText();
      assertThat(e.path("id").asText()).isEqualTo(id);
      assertThat(e.path("object").asText()).isEqualTo("text_completion");
      assertThat(e.path("model").asText()).isEqualTo(GeneratorFixture.MODEL + "@1");
      JsonNode choice = e.path("choices").get(0);
      boolean last = i == data.size() - 2;
      assertThat(choice.path("finish_reason").isNull())
          .as("finish_reason of event %d", i)
          .isEqualTo(!last);
      if (last) assertThat(choice.path("finish_reason").asText()).isEqualTo("length");
      text.append(choice.path("text").asText());
    }
    assertThat(text.toString()).isEqualTo(expected("KING RICHARD", 3000, 7));
  }

  @Test
  void manyCompletionsAtOnceEachGetTheirOwnAnswer() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      calls.add(
          HTTP.sendAsync(
              HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          body("KING", 200 + i, 100 + i, i % 2 == 0)))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    for (int i = 0; i < calls.size(); i++) {
      HttpResponse<String> r = calls.get(i).get();
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      String text;
      if (i % 2 == 0) {
        StringBuilder sb = new StringBuilder();
        List<String> data = dataLines(r.body());
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        for (String d : data.subList(0, data.size() - 1)) {
          sb.append(JSON.readTree(d).path("choices").get(0).path("text").asText());
        }
        text = sb.toString();
      } else {
        text = json(r).path("choices").get(0).path("text").asText();
      }
      assertThat(text).as("answer %d", i).isEqualTo(expected("KING", 200 + i, 100 + i));
    }
  }

  @Test
  void badRequestsGetOpenAiErrorsAndTheServerGoesOn() throws Exception {
    HttpResponse<String> notJson = post("/v1/completions", "{\"prompt\": ");
    assertThat(notJson.statusCode()).isEqualTo(400);
    JsonNode e = json(notJson).path("error");
    assertThat(e.path("code").asText()).isEqualTo("malformed-json");
    assertThat(e.path("type").asText()).isEqualTo("invalid_request_error");
    assertThat(e.path("message").asText()).startsWith("body is not valid JSON");
    assertThat(e.has("param")).isTrue();

    HttpResponse<String> unknownField = post("/v1/completions", "{\"prompt\":\"KING\",\"n\":3}");
    assertThat(unknownField.statusCode()).isEqualTo(400);
    assertThat(json(unknownField).path("error").path("param").asText()).isEqualTo("n");

    // The generator's own refusals, with its error kind, streamed or not.
    HttpResponse<String> unknownModel =
        post("/v1/completions", "{\"prompt\":\"KING\",\"model\":\"nosuch\",\"stream\":true}");
    assertThat(unknownModel.statusCode()).as(unknownModel.body()).isEqualTo(404);
    assertThat(unknownModel.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    assertThat(json(unknownModel).path("error").path("code").asText()).isEqualTo("unknown-model");
    assertThat(json(unknownModel).path("error").path("param").asText()).isEqualTo("model");

    HttpResponse<String> tooLong =
        post("/v1/completions", "{\"prompt\":\"KING\",\"max_tokens\":20000}");
    assertThat(tooLong.statusCode()).isEqualTo(400);
    JsonNode t = json(tooLong).path("error");
    assertThat(t.path("code").asText()).isEqualTo("length-out-of-range");
    assertThat(t.path("param").asText()).isEqualTo("max_tokens");
    assertThat(t.path("message").asText()).contains("max_tokens").doesNotContain("'length'");

    HttpResponse<String> unknownChars =
        post("/v1/completions", "{\"prompt\":\"KING \\u00e9\\u4e2d\",\"max_tokens\":5}");
    assertThat(unknownChars.statusCode()).as(unknownChars.body()).isEqualTo(400);
    assertThat(json(unknownChars).path("error").path("code").asText())
        .isEqualTo("unknown-characters");

    HttpResponse<String> huge =
        post("/v1/completions", "{\"prompt\":\"" + "K".repeat(5000) + "\",\"max_tokens\":5}");
    assertThat(huge.statusCode()).isEqualTo(413);
    assertThat(json(huge).path("error").path("code").asText()).isEqualTo("body-too-large");

    HttpResponse<String> wrongMethod = get("/v1/completions");
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("POST");
    assertThat(get("/v1/nothing").statusCode()).isEqualTo(404);

    HttpResponse<String> crossSite =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                .header("Origin", "https://evil.example")
                .POST(HttpRequest.BodyPublishers.ofString(body("KING", 5, 1, false)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(crossSite.statusCode()).isEqualTo(403);

    HttpResponse<String> fine = post("/v1/completions", body("KING", 20, 3, false));
    assertThat(fine.statusCode()).as("the server still answers").isEqualTo(200);
    assertThat(json(fine).path("choices").get(0).path("text").asText())
        .isEqualTo(expected("KING", 20, 3));
  }

  @Test
  void modelsAreListedAsIdsAndIdAtVersion() throws Exception {
    // The console reads the checkpoints topic on its own consumer: the model shows once it is read.
    JsonNode list =
        Await.value(
            WAIT,
            "the published model in /v1/models",
            () -> {
              try {
                HttpResponse<String> r = get("/v1/models");
                assertThat(r.statusCode()).isEqualTo(200);
                JsonNode l = json(r);
                return l.path("data").size() > 0 ? l : null;
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    assertThat(list.path("object").asText()).isEqualTo("list");
    List<String> ids = new ArrayList<>();
    list.path("data").forEach(m -> ids.add(m.path("id").asText()));
    assertThat(ids).contains(GeneratorFixture.MODEL, GeneratorFixture.MODEL + "@1");
    for (JsonNode m : list.path("data")) {
      assertThat(m.path("object").asText()).isEqualTo("model");
      assertThat(m.path("owned_by").asText()).isEqualTo("charstream");
    }
  }

  @Test
  void theGeneratorsEndpointsAreServedOnTheSamePort() throws Exception {
    post("/v1/completions", body("KING", 10, 1, false));
    HttpResponse<String> metrics = get("/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body())
        .contains("charstream_generator_model_version{model_id=\"" + GeneratorFixture.MODEL + "\"}")
        .contains("charstream_generator_requests_total{outcome=\"length\"}");
    assertThat(get("/livez").body()).startsWith("ok: ");
    HttpResponse<String> ready = get("/readyz");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).startsWith("ok: ").contains(GeneratorFixture.MODEL);
  }

  @Test
  void theEventFeedStartsWithASnapshotAndFollowsTheTopics() throws Exception {
    try (SseFeed feed = SseFeed.get(HTTP, URI.create(base + "/api/events"));
        KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(
                new HashMap<>(fixture.kafka), new StringSerializer(), new ByteArraySerializer())) {
      assertThat(feed.response.headers().firstValue("Content-Type"))
          .hasValue("text/event-stream; charset=utf-8");
      SseFeed.Event snapshot =
          feed.until(WAIT, "the snapshot", e -> e.name().equals("snapshot")).get(0);
      assertThat(snapshot.name()).isEqualTo("snapshot");
      List<String> models = new ArrayList<>();
      snapshot.json().path("models").forEach(m -> models.add(m.path("modelId").asText()));
      assertThat(models).contains(GeneratorFixture.MODEL);
      assertThat(snapshot.json().path("servedBy").asText())
          .isEqualTo("the generator in this process");

      // A job's events, as a trainer writes them: the feed sends each with the points it adds.
      String status = fixture.topics.trainingStatus().name();
      TrainingRequest req = TrainingRequest.defaults("feed-job", "feed-model", "some-corpus");
      long now = System.currentTimeMillis();
      List<TrainingStatus> events =
          List.of(
              new TrainingStatus.Accepted(1, "feed-job", "feed-model", now, "t-1", req, null),
              new TrainingStatus.Progress(
                  1, "feed-job", "feed-model", now + 1, 1, 2, 5, 10, 5, 3.1, null, 1000, 60, 5),
              new TrainingStatus.Progress(
                  1, "feed-job", "feed-model", now + 2, 1, 2, 10, 10, 10, 2.7, null, 1000, 50, 10),
              new TrainingStatus.CheckpointSaved(
                  1, "feed-job", "feed-model", now + 3, 1, 1, 10, 2.7, 2.9, 100, "b".repeat(64)));
      for (TrainingStatus s : events) {
        producer
            .send(new ProducerRecord<>(status, s.jobId(), Json.write(s, TrainingStatus.class)))
            .get();
      }
      List<SseFeed.Event> jobEvents =
          feed
              .until(
                  WAIT,
                  "the checkpoint's job event",
                  e ->
                      e.name().equals("job")
                          && e.json().path("job").path("state").asText().equals("checkpoint"))
              .stream()
              .filter(e -> e.name().equals("job"))
              .toList();
      assertThat(jobEvents).hasSize(4);
      assertThat(jobEvents.get(1).json().path("train").toString()).isEqualTo("[[0.5,3.1]]");
      assertThat(jobEvents.get(2).json().path("train").toString()).isEqualTo("[[1.0,2.7]]");
      assertThat(jobEvents.get(3).json().path("val").toString()).isEqualTo("[[1.0,2.9]]");
      assertThat(jobEvents.get(3).json().path("job").path("corpusId").asText())
          .isEqualTo("some-corpus");

      // A new version: the catalogue's event, then the served version once the generator loads it.
      fixture.publishModel(2, MODEL_SEED);
      feed.until(
          WAIT,
          "model v2",
          e ->
              e.name().equals("model")
                  && e.json().path("model").path("latestVersion").asLong() == 2);
      feed.until(
          WAIT,
          "the generator serving v2",
          e ->
              e.name().equals("served")
                  && e.json().path("served").path(GeneratorFixture.MODEL).asLong() == 2);

      JsonNode state = json(get("/api/state"));
      assertThat(state.path("caughtUp").asBoolean()).isTrue();
      assertThat(state.path("jobs").get(0).path("jobId").asText()).isEqualTo("feed-job");
      assertThat(state.path("jobs").get(0).path("train")).hasSize(2);
    }
  }

  @Test
  void aTrainingRequestFromThePageGoesToTheTopicAndABadOneDoesNot() throws Exception {
    HttpResponse<String> bad =
        post("/api/training", "{\"modelId\":\"web\",\"corpusId\":\"c\",\"numEpochs\":0}");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(json(bad).path("error").path("param").asText()).isEqualTo("numEpochs");

    HttpResponse<String> ok =
        post(
            "/api/training",
            "{\"modelId\":\"web\",\"corpusId\":\"c\",\"preset\":\"recommended\",\"numEpochs\":3}");
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(202);
    String jobId = json(ok).path("jobId").asText();
    assertThat(jobId).startsWith("web-");
    try (TopicReader<String, TrainingRequest> requests =
        new TopicReader<>(fixture.kafka, fixture.topics.trainingRequests())) {
      TrainingRequest sent =
          requests.await(WAIT, "the page's request", r -> "web".equals(r.key())).value();
      assertThat(sent.jobId()).isEqualTo(jobId);
      assertThat(sent.numEpochs()).isEqualTo(3);
      assertThat(sent.preset()).isEqualTo(io.charstream.schemas.message.Preset.RECOMMENDED);
      assertThat(requests.poll()).as("only the good request was sent").hasSize(1);
    }
  }

  @Test
  void withATokenNothingButThePageAndTheProbesAnswersWithoutIt() throws Exception {
    String token = "it-token-" + Long.toHexString(System.nanoTime());
    try (Console guarded =
        Console.start(
            config(Map.of(ConsoleConfig.AUTH_TOKEN, token)),
            fixture.kafka,
            Optional.of(generator))) {
      String url = "http://127.0.0.1:" + guarded.port();
      HttpResponse<String> refused =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(url + "/api/state")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(refused.statusCode()).isEqualTo(401);
      assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
      assertThat(json(refused).path("error").path("type").asText())
          .isEqualTo("authentication_error");
      HttpResponse<String> completion =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
                  .header("Authorization", "Bearer " + token)
                  .POST(HttpRequest.BodyPublishers.ofString(body("KING", 10, 2, false)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(completion.statusCode()).isEqualTo(200);
      for (String open : List.of("/", "/console.js", "/console.css", "/livez")) {
        HttpResponse<String> page =
            HTTP.send(
                HttpRequest.newBuilder(URI.create(url + open)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).as(open).isEqualTo(200);
        assertThat(page.body()).as(open).doesNotContain(token);
      }
      HttpResponse<String> state =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(url + "/api/state"))
                  .header("Cookie", RequestGuard.COOKIE + "=" + token)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(state.statusCode()).isEqualTo(200);
      assertThat(state.body()).doesNotContain(token);
    }
  }
}
