package io.charstream.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.client.CorpusUploader;
import io.charstream.app.client.TrainingRequests;
import io.charstream.app.it.Await;
import io.charstream.app.it.KafkaBroker;
import io.charstream.app.it.Scrape;
import io.charstream.app.worker.GeneratorFixture;
import io.charstream.app.worker.TrainerFixture;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.trainer.TrainerWorker;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every metric name the Grafana dashboard, the alert rules and deploy/README.md's PromQL use is
 * served by a running worker: a trainer training a job and a generator answering from the
 * checkpoints it publishes (and one request with an error), both scraped over HTTP on a real
 * broker. A renamed meter, or a query with a typo, fails here instead of drawing an empty panel or
 * an alert that never fires.
 */
class MonitoredMetricsIT {
  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();
  static final Duration WAIT = Duration.ofSeconds(240);
  static final String MODEL = "m-monitored";

  @Test
  void everyMetricTheDashboardAndTheAlertsUseIsServedByAWorker() throws Exception {
    Map<String, Set<String>> used = Monitoring.metricsUsed();
    assertThat(used).as("metrics the dashboard and the alerts use").hasSizeGreaterThan(20);
    try (GeneratorFixture world = new GeneratorFixture(KAFKA.broker());
        TrainerWorker trainer =
            TrainerFixture.start(
                TrainerFixture.settings(KAFKA, world.topics, "monitored-trainer"), Map.of())) {
      new CorpusUploader(KAFKA.clientProps(), world.topics)
          .upload("monitored-corpus", TrainerFixture.corpus(10_000, 13), n -> {});
      TrainingRequests.send(
          KAFKA.clientProps(),
          world.topics.trainingRequests(),
          TrainerFixture.tinyRequest("job-monitored", MODEL, "monitored-corpus", 500));
      int t = trainer.httpPort();
      Await.until(
          WAIT,
          "the trainer's first checkpoint of " + MODEL,
          () -> {
            Double v =
                Scrape.of(t).value("charstream_trainer_checkpoint_version", "model_id", MODEL);
            return v != null && v >= 1;
          });

      GeneratorService generator =
          world.startGenerator(
              "monitored-generator", Map.of(GeneratorConfig.MODEL_DEFAULT_ID, MODEL));
      int g = generator.httpPort();
      for (int i = 0; i < 3; i++) {
        world.send(GenerateRequest.of("ok-" + i, "the king", 40, i));
      }
      world.send(
          GenerateRequest.builder("err-1", "the king")
              .length(40)
              .randomSeed(1L)
              .model("no-such-model", null)
              .build());
      for (int i = 0; i < 3; i++) {
        assertThat(world.awaitFinal("ok-" + i, WAIT).error()).isNull();
      }
      assertThat(world.awaitFinal("err-1", WAIT).error()).isNotNull();
      // The Kafka binders pick up a partition's lag at their next refresh (WorkerMeters).
      Await.until(
          WAIT,
          "the generator's answers, error and request lag on /metrics",
          () -> {
            Scrape s = Scrape.of(g);
            return s.value("charstream_generator_requests_total", "outcome", "error") != null
                && !s.series("kafka_consumer_fetch_manager_records_lag").isEmpty()
                && !s.series("charstream_generator_request_duration_seconds_bucket").isEmpty();
          });
      Await.until(
          WAIT,
          "the trainer's request lag on /metrics",
          () -> !Scrape.of(t).series("kafka_consumer_fetch_manager_records_lag").isEmpty());

      Set<String> trainerNames = Scrape.of(t).names();
      Set<String> generatorNames = Scrape.of(g).names();
      assertThat(trainerNames)
          .as("the job still trains: its series are there")
          .contains("charstream_trainer_step", "charstream_trainer_loss");
      Map<String, Set<String>> missing = new TreeMap<>();
      used.forEach(
          (name, where) -> {
            if (!trainerNames.contains(name) && !generatorNames.contains(name)) {
              missing.put(name, where);
            }
          });
      assertThat(missing).as("metrics used but served by no worker (name -> where)").isEmpty();
      // Each worker's own meters come from that worker.
      Set<String> misplaced = new TreeSet<>();
      for (String name : used.keySet()) {
        if (name.startsWith("charstream_generator_") && !generatorNames.contains(name))
          misplaced.add(name);
        if (name.startsWith("charstream_trainer_") && !trainerNames.contains(name))
          misplaced.add(name);
      }
      assertThat(misplaced).isEmpty();
    }
  }
}
