package io.charstream.app.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.app.client.CorpusUploader;
import io.charstream.app.it.KafkaBroker;
import io.charstream.app.it.TopicReader;
import io.charstream.app.reliability.HostileInputs.Hostile;
import io.charstream.app.reliability.HostileInputs.Outcome;
import io.charstream.app.worker.TrainerFixture;
import io.charstream.schemas.ClientSizes;
import io.charstream.schemas.DeadLetters;
import io.charstream.schemas.Topic;
import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.message.CancelRequest;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.TrainingStatus;
import io.charstream.trainer.TrainerWorker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The trainer's part of the hostile-input catalogue ({@link TrainerHostileInputs}) against a
 * running trainer: each bad training request, corpus chunk and cancel request gets its documented
 * outcome, valid requests sent between them train to the end, and the worker stays up.
 */
class TrainerHostileInputIT {

  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();
  private static final Duration WAIT = Duration.ofSeconds(120);

  private static Topics topics;
  private static TrainerWorker trainer;
  private static KafkaProducer<byte[], byte[]> raw;

  @BeforeAll
  static void start() {
    topics = KAFKA.newTopics();
    trainer =
        TrainerFixture.start(TrainerFixture.settings(KAFKA, topics, "hostile-trainer"), Map.of());
    Map<String, Object> p = new HashMap<>(KAFKA.clientProps());
    p.putAll(ClientSizes.producer(topics.corpus()));
    raw = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  @AfterAll
  static void stop() {
    if (raw != null) raw.close();
    if (trainer != null) trainer.close();
  }

  private static void send(Topic<?, ?> topic, String key, byte[] value) throws Exception {
    raw.send(
            new ProducerRecord<>(
                topic.name(), key == null ? null : key.getBytes(StandardCharsets.UTF_8), value))
        .get();
  }

  private static void sendValid(String jobId, String modelId, String corpusId, int epochs)
      throws Exception {
    send(
        topics.trainingRequests(),
        modelId,
        Json.write(
            TrainerFixture.tinyRequest(jobId, modelId, corpusId, epochs), TrainingRequest.class));
  }

  private static void upload(String corpusId, int chars) {
    new CorpusUploader(KAFKA.clientProps(), topics)
        .upload(corpusId, TrainerFixture.corpus(chars, corpusId.length()), n -> {});
  }

  @Test
  void badTrainingRequestsAndCorpusChunksGetTheirOutcomesAndValidJobsBetweenThemTrain()
      throws Exception {
    upload("hc", 10_000);
    upload("hc-small", 200);
    List<Hostile> requests = TrainerHostileInputs.trainingRequests("hc", "hc-small");
    List<Hostile> chunks = TrainerHostileInputs.corpus();
    List<String> validJobs = new ArrayList<>();
    for (int i = 0; i < requests.size(); i++) {
      Hostile h = requests.get(i);
      send(topics.trainingRequests(), h.key(), h.value());
      if (i % 12 == 11) {
        validJobs.add("job-valid-" + i);
        sendValid("job-valid-" + i, "valid-" + i, "hc", 1);
      }
    }
    // Behind the almost-1-MiB record, on its partition: with a dead letter the broker refuses, this
    // never runs.
    validJobs.add("job-after-poison");
    sendValid("job-after-poison", "tm-almost-1mib", "hc", 1);
    for (Hostile h : chunks) {
      send(topics.corpus(), h.key(), h.value());
    }
    // A corpus uploaded after the bad chunks is indexed and trained on: the corpus index still
    // runs.
    upload("hc-after", 10_000);
    validJobs.add("job-after-chunks");
    sendValid("job-after-chunks", "valid-after-chunks", "hc-after", 1);

    try (TopicReader<String, TrainingStatus> status =
        new TopicReader<>(KAFKA.clientProps(), topics.trainingStatus())) {
      for (String job : validJobs) {
        TrainingStatus end =
            status
                .await(WAIT, job + " finished", r -> job.equals(r.key()) && r.value().terminal())
                .value();
        assertThat(end).as(job + ": " + end).isInstanceOf(TrainingStatus.Completed.class);
      }
      List<String> wrong = new ArrayList<>();
      for (Hostile h : requests) {
        String model =
            h.outcome() instanceof Outcome.Rejected r
                ? r.modelId()
                : h.outcome() instanceof Outcome.DeadLetterAndRejected d ? d.modelId() : null;
        if (model == null) continue;
        TrainingStatus s =
            status
                .await(
                    WAIT,
                    "a verdict for " + model,
                    r -> model.equals(r.value().modelId()) && r.value().terminal())
                .value();
        String field = h.outcome() instanceof Outcome.Rejected r ? r.field() : null;
        if (!(s instanceof TrainingStatus.Rejected rej)) {
          wrong.add(h.name() + ": expected a rejection, got " + s);
        } else if (field != null && !field.equals(rej.field())) {
          wrong.add(
              h.name()
                  + ": expected field "
                  + field
                  + ", got "
                  + rej.field()
                  + " ("
                  + rej.reason()
                  + ")");
        } else {
          List<String> expected =
              h.outcome() instanceof Outcome.Rejected r
                  ? r.reason()
                  : ((Outcome.DeadLetterAndRejected) h.outcome()).message();
          List<String> missing = HostileInputs.missing(expected, rej.reason());
          if (!missing.isEmpty()) {
            wrong.add(
                h.name()
                    + ": the reason lacks "
                    + missing
                    + ": "
                    + HostileInputs.shown(rej.reason()));
          }
        }
      }
      assertThat(wrong).as("verdicts that differ from the catalogue").isEmpty();
    }
    assertDeadLetters(topics.deadLetter(topics.trainingRequests()), requests);
    assertDeadLetters(topics.deadLetter(topics.corpus()), chunks);
    assertThat(trainer.running()).as("the trainer is still running").isTrue();
    System.out.printf(
        "trainer hostile input: %d bad training requests, %d bad corpus chunks; %d valid jobs trained%n",
        requests.size(), chunks.size(), validJobs.size());
  }

  @Test
  void badCancelRequestsAreIgnoredAndAValidOneStillCancels() throws Exception {
    upload("hc-cancel", 10_000);
    String job = "job-cancel-target";
    sendValid(job, "m-cancel-target", "hc-cancel", 500);
    try (TopicReader<String, TrainingStatus> status =
        new TopicReader<>(KAFKA.clientProps(), topics.trainingStatus())) {
      try {
        int seen = progressCount(status, job, 1);
        for (Hostile h : TrainerHostileInputs.cancels(job)) {
          if (h.outcome() instanceof Outcome.Refused refused) {
            assertThatThrownBy(() -> send(topics.trainingControl(), h.key(), h.value()))
                .as(h.name())
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(refused.error());
            continue;
          }
          send(topics.trainingControl(), h.key(), h.value());
          // The job checks for cancellation every second: two more progress events mean it looked
          // and went on.
          seen = progressCount(status, job, seen + 2);
        }
      } finally {
        // Stop the 500-epoch job whatever happened, or it holds the trainer's only job slot.
        send(
            topics.trainingControl(),
            job,
            Json.write(CancelRequest.of(job, "enough"), CancelRequest.class));
      }
      TrainingStatus end =
          status
              .await(WAIT, job + " ended", r -> job.equals(r.key()) && r.value().terminal())
              .value();
      assertThat(end).isInstanceOf(TrainingStatus.Cancelled.class);
      assertThat(((TrainingStatus.Cancelled) end).reason()).isEqualTo("enough");
    }
    assertThat(trainer.running()).isTrue();
  }

  /**
   * Waits until {@code job} has at least {@code n} progress events and none terminal; returns the
   * count.
   */
  private static int progressCount(TopicReader<String, TrainingStatus> status, String job, int n) {
    status.await(
        WAIT,
        n + " progress events of " + job,
        r -> {
          List<TrainingStatus> mine =
              status.values().stream().filter(s -> job.equals(s.jobId())).toList();
          assertThat(mine).as("still running").noneMatch(TrainingStatus::terminal);
          return mine.stream().filter(TrainingStatus.Progress.class::isInstance).count() >= n;
        });
    return (int)
        status.values().stream()
            .filter(s -> job.equals(s.jobId()))
            .filter(TrainingStatus.Progress.class::isInstance)
            .count();
  }

  /** The dead-letter topic holds exactly the catalogue's dead letters, each once, with its kind. */
  private static void assertDeadLetters(Topic<byte[], byte[]> dlq, List<Hostile> catalogue) {
    List<Hostile> expected =
        catalogue.stream()
            .filter(
                h ->
                    h.outcome() instanceof Outcome.DeadLetter
                        || h.outcome() instanceof Outcome.DeadLetterAndRejected)
            .toList();
    try (TopicReader<byte[], byte[]> reader = new TopicReader<>(KAFKA.clientProps(), dlq)) {
      reader.await(
          WAIT,
          expected.size() + " dead letters on " + dlq.name(),
          r -> reader.values().size() >= expected.size());
      List<ConsumerRecord<byte[], byte[]>> letters = reader.poll();
      assertThat(letters).hasSize(expected.size());
      List<Hostile> unmatched = new ArrayList<>(expected);
      for (ConsumerRecord<byte[], byte[]> d : letters) {
        Hostile h =
            unmatched.stream()
                .filter(x -> holds(x, d.value()))
                .findFirst()
                .orElseThrow(
                    () ->
                        new AssertionError(
                            "dead letter on "
                                + dlq.name()
                                + " matches no catalogue entry: "
                                + DeadLetters.header(d.headers(), DeadLetters.ERROR_MESSAGE)));
        unmatched.remove(h);
        String kind =
            h.outcome() instanceof Outcome.DeadLetter x
                ? x.kind()
                : ((Outcome.DeadLetterAndRejected) h.outcome()).kind();
        assertThat(DeadLetters.header(d.headers(), DeadLetters.ERROR_KIND))
            .as(h.name())
            .isEqualTo(kind);
        String message = DeadLetters.header(d.headers(), DeadLetters.ERROR_MESSAGE);
        List<String> parts =
            h.outcome() instanceof Outcome.DeadLetter x
                ? x.message()
                : ((Outcome.DeadLetterAndRejected) h.outcome()).message();
        assertThat(HostileInputs.missing(parts, message))
            .as("%s: parts its dead letter's message (%s) lacks", h.name(), message)
            .isEmpty();
      }
      assertThat(unmatched).isEmpty();
    }
  }

  private static boolean holds(Hostile h, byte[] letter) {
    boolean cut =
        h.outcome() instanceof Outcome.DeadLetter d
            ? d.cut()
            : ((Outcome.DeadLetterAndRejected) h.outcome()).cut();
    if (cut) {
      return letter != null
          && letter.length > 0
          && letter.length < h.value().length
          && Arrays.equals(letter, Arrays.copyOf(h.value(), letter.length));
    }
    return Arrays.equals(h.value(), letter);
  }
}
