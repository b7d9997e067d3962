package io.charstream.app.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.client.CorpusUploader;
import io.charstream.app.client.TrainingRequests;
import io.charstream.app.it.Await;
import io.charstream.app.it.KafkaBroker;
import io.charstream.app.it.Scrape;
import io.charstream.schemas.Topics;
import io.charstream.trainer.TrainerWorker;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What an operator sees of a trainer on a real broker, over its HTTP port: /readyz once its tables
 * are restored and it owns partitions; the job's step, loss and trained characters moving on
 * /metrics while it trains; its end and a bad request counted; and /livez turning red when the
 * Kafka Streams thread that keeps its tables dies.
 */
class TrainerMetricsIT {
  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();
  static final Duration WAIT = Duration.ofSeconds(180);
  static final String MODEL = "m-metrics";

  @Test
  void metricsMoveWhileAJobTrainsAndLivezFailsWhenTheTablesThreadDies() throws Exception {
    Topics topics = KAFKA.newTopics();
    try (TrainerWorker w =
        TrainerFixture.start(TrainerFixture.settings(KAFKA, topics, "metrics-trainer"), Map.of())) {
      int port = w.httpPort();
      assertThat(port).isPositive();
      Await.until(WAIT, "/readyz 200", () -> Scrape.get(port, "/readyz").statusCode() == 200);
      assertThat(Scrape.get(port, "/readyz").body())
          .isEqualTo(
              "ok: corpus index and job tables restored; 6 training-requests partitions assigned\n");
      assertThat(Scrape.get(port, "/livez").statusCode()).isEqualTo(200);
      Scrape idle = Scrape.of(port);
      assertThat(idle.value("charstream_trainer_ready")).isEqualTo(1.0);
      assertThat(idle.value("charstream_trainer_live")).isEqualTo(1.0);
      assertThat(idle.value("charstream_trainer_jobs_running")).isZero();
      assertThat(idle.value("charstream_trainer_errors_total", "kind", "diverged")).isZero();
      assertThat(idle.value("charstream_trainer_corpora")).isZero();
      assertThat(idle.value("process_resident_memory_bytes")).isGreaterThan(50e6);
      assertThat(idle.names()).anyMatch(n -> n.startsWith("kafka_stream_"));
      assertThat(idle.series("charstream_trainer_step")).as("no job, no step").isEmpty();

      new CorpusUploader(KAFKA.clientProps(), topics)
          .upload("metrics-corpus", TrainerFixture.corpus(10_000, 11), n -> {});
      Await.until(WAIT, "the corpus indexed", () -> corpora(port) == 1.0);
      assertThat(Scrape.of(port).value("charstream_trainer_corpora_chars")).isGreaterThan(9_000.0);
      TrainingRequests.send(
          KAFKA.clientProps(),
          topics.trainingRequests(),
          TrainerFixture.tinyRequest("job-metrics", MODEL, "metrics-corpus", 500));

      // A running job: its step, loss and trained characters move between two scrapes.
      Scrape first = Await.value(WAIT, "the job's first steps", () -> withStep(port, 1.0));
      Scrape later =
          Await.value(
              WAIT,
              "the job's step and characters moving, and its first checkpoint",
              () -> {
                // The step gauge and the characters counter are read one after the other by a
                // scrape, so a step can land between them: wait for a scrape that saw both agree.
                Scrape s = withStep(port, step(first) + 1);
                return s != null
                        && chars(s) == step(s) * 8 * 32
                        && chars(s) > chars(first)
                        && s.value("charstream_trainer_checkpoint_version", "model_id", MODEL)
                            != null
                        && s.value("charstream_trainer_checkpoint_version", "model_id", MODEL) >= 1
                    ? s
                    : null;
              });
      assertThat(chars(later)).isGreaterThan(chars(first));
      // tinyRequest trains batches of 8 x 32 characters
      assertThat(chars(later)).isEqualTo(step(later) * 8 * 32);
      assertThat(later.value("charstream_trainer_loss", "model_id", MODEL)).isFinite().isPositive();
      assertThat(later.value("charstream_trainer_epoch", "model_id", MODEL))
          .isGreaterThanOrEqualTo(1);
      assertThat(later.value("charstream_trainer_val_loss", "model_id", MODEL)).isFinite();
      assertThat(later.value("charstream_trainer_epoch_estimated_seconds", "model_id", MODEL))
          .isPositive();
      assertThat(
              later.value(
                  "charstream_trainer_checkpoint_last_timestamp_seconds", "model_id", MODEL))
          .isGreaterThan(System.currentTimeMillis() / 1000.0 - 600);
      assertThat(later.value("charstream_trainer_checkpoint_size_bytes_count"))
          .isGreaterThanOrEqualTo(1);
      assertThat(later.value("charstream_trainer_training_state_writes_total"))
          .isGreaterThanOrEqualTo(1);
      assertThat(later.value("charstream_trainer_jobs_running")).isEqualTo(1.0);
      assertThat(later.value("charstream_trainer_jobs_total", "state", "accepted")).isEqualTo(1.0);
      assertThat(later.value("charstream_trainer_requests_total", "outcome", "job")).isEqualTo(1.0);
      assertThat(Scrape.get(port, "/livez").statusCode()).as("live while training").isEqualTo(200);

      // Cancelled: counted, and the model's series go with the job.
      TrainingRequests.cancel(
          KAFKA.clientProps(), topics.trainingControl(), "job-metrics", "enough");
      Await.until(
          WAIT,
          "the cancellation counted",
          () ->
              Scrape.of(port).value("charstream_trainer_jobs_total", "state", "cancelled") == 1.0);
      Scrape ended = Scrape.of(port);
      assertThat(ended.series("charstream_trainer_step")).isEmpty();
      assertThat(ended.value("charstream_trainer_jobs_running")).isZero();

      // A record that is not JSON: dead-lettered and counted by kind.
      try (KafkaProducer<byte[], byte[]> p =
          new KafkaProducer<>(
              KAFKA.clientProps(), new ByteArraySerializer(), new ByteArraySerializer())) {
        p.send(
                new ProducerRecord<>(
                    topics.trainingRequests().name(),
                    bytes("m-bad"),
                    bytes("{not a training request")))
            .get();
      }
      Await.until(
          WAIT,
          "the dead letter counted",
          () ->
              Scrape.of(port).value("charstream_trainer_errors_total", "kind", "not-json") == 1.0);
      assertThat(
              Scrape.of(port).value("charstream_trainer_requests_total", "outcome", "dead-letter"))
          .isEqualTo(1.0);

      // The thread that keeps the global tables (corpus index, job states) dies of an Error it does
      // not catch: nothing can replace it, and /livez says so.
      killThread("metrics-trainer-tables-GlobalStreamThread");
      Await.until(WAIT, "/livez 503", () -> Scrape.get(port, "/livez").statusCode() == 503);
      HttpResponse<String> livez = Scrape.get(port, "/livez");
      assertThat(livez.body()).startsWith("not ok: Kafka Streams tables ");
      assertThat(Scrape.get(port, "/readyz").statusCode()).isEqualTo(503);
      assertThat(Scrape.of(port).value("charstream_trainer_live")).isZero();
    }
  }

  private static double corpora(int port) {
    Double v = Scrape.of(port).value("charstream_trainer_corpora");
    return v == null ? Double.NaN : v;
  }

  /** A scrape in which the job's step is at least {@code min}, or null. */
  private static Scrape withStep(int port, double min) {
    Scrape s = Scrape.of(port);
    Double step = s.value("charstream_trainer_step", "model_id", MODEL);
    return step != null && step >= min ? s : null;
  }

  private static double step(Scrape s) {
    return s.value("charstream_trainer_step", "model_id", MODEL);
  }

  private static double chars(Scrape s) {
    return s.value("charstream_trainer_trained_chars_total", "model_id", MODEL);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Ends a thread of this JVM by name as an uncaught Error would (Java 17's Thread.stop, which
   * throws ThreadDeath in it): the only way to kill one thread of a running Kafka Streams client.
   */
  @SuppressWarnings({"removal", "deprecation"})
  static void killThread(String name) {
    Thread t =
        Thread.getAllStackTraces().keySet().stream()
            .filter(th -> th.getName().equals(name))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no thread named " + name));
    t.stop();
  }
}
