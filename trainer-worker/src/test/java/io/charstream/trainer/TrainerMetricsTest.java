package io.charstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.charstream.model.EpochResult;
import io.charstream.model.Progress;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The trainer's meters on the engine's events, and the Prometheus names docs/trainer.md lists. */
class TrainerMetricsTest {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final TrainerMetrics metrics = new TrainerMetrics(registry);

  private static Progress progress(int epoch, int step, long globalStep, double loss, double cps) {
    return new Progress(epoch, 4, step, 10, globalStep, loss, cps, 60);
  }

  private double gauge(String name, String model) {
    return registry.get("charstream.trainer." + name).tag("model_id", model).gauge().value();
  }

  private double trained(String model) {
    return registry
        .get("charstream.trainer.trained.chars")
        .tag("model_id", model)
        .counter()
        .count();
  }

  @Test
  void progressMovesTheStepTheLossAndTheTrainedCharacters() {
    try (JobMeters job = metrics.job("m1", 256, 0, 1_000)) {
      assertThat(gauge("step", "m1")).isZero();
      assertThat(gauge("loss", "m1")).isNaN();
      assertThat(gauge("val.loss", "m1")).isNaN();
      assertThat(gauge("epoch.estimated", "m1")).as("no speed yet").isZero();
      assertThat(trained("m1")).isZero();

      job.progress(progress(1, 3, 3, 2.5, 1280));
      assertThat(gauge("step", "m1")).isEqualTo(3);
      assertThat(gauge("epoch", "m1")).isEqualTo(1);
      assertThat(gauge("loss", "m1")).isEqualTo(2.5);
      assertThat(trained("m1")).as("3 steps of 256 characters").isEqualTo(768);
      assertThat(gauge("epoch.estimated", "m1"))
          .as("10 steps x 256 chars at 1280 chars/s")
          .isEqualTo(2.0);

      job.progress(progress(1, 7, 7, 2.1, 0)); // no speed measured: the estimate stays
      assertThat(trained("m1")).isEqualTo(7 * 256);
      assertThat(gauge("epoch.estimated", "m1")).isEqualTo(2.0);
      job.progress(progress(1, 7, 7, 2.1, 1000)); // the same step reported again
      assertThat(trained("m1")).isEqualTo(7 * 256);

      job.epochEnd(new EpochResult(1, 4, 2.0, 2.05, 1.9, 10, "a", "b"));
      assertThat(gauge("loss", "m1")).isEqualTo(2.05);
      assertThat(gauge("val.loss", "m1")).isEqualTo(1.9);
    }
  }

  @Test
  void aResumedJobCountsOnlyTheStepsItTrains() {
    try (JobMeters job = metrics.job("m1", 100, 500, 0)) {
      assertThat(gauge("step", "m1")).isEqualTo(500);
      job.progress(progress(3, 2, 502, 1.5, 100));
      assertThat(trained("m1")).isEqualTo(200);
    }
  }

  @Test
  void checkpointsAndTrainingStatesAreCountedSizedAndTimed() {
    try (JobMeters job = metrics.job("m1", 256, 0, 1_000)) {
      assertThat(gauge("checkpoint.last.timestamp", "m1"))
          .as("the job's start, before its first checkpoint")
          .isEqualTo(1.0);
      assertThat(gauge("checkpoint.version", "m1")).isNaN();
      job.trainingStateWritten(3_000);
      job.checkpointPublished(5, 1_000, 2_000_000, 7_500);
      assertThat(gauge("checkpoint.version", "m1")).isEqualTo(5);
      assertThat(gauge("checkpoint.last.timestamp", "m1")).isEqualTo(7.5);
    }
    assertThat(registry.get("charstream.trainer.checkpoint.size").summary().count()).isEqualTo(1);
    assertThat(registry.get("charstream.trainer.checkpoint.size").summary().totalAmount())
        .isEqualTo(1_000);
    assertThat(registry.get("charstream.trainer.checkpoint.publish").timer().count()).isEqualTo(1);
    assertThat(
            registry
                .get("charstream.trainer.checkpoint.publish")
                .timer()
                .totalTime(TimeUnit.MILLISECONDS))
        .isCloseTo(2.0, within(1e-9));
    assertThat(registry.get("charstream.trainer.training.state.writes").counter().count())
        .isEqualTo(1);
    assertThat(registry.get("charstream.trainer.training.state.size").summary().totalAmount())
        .isEqualTo(3_000);
  }

  @Test
  void aJobsMetersAreItsModelsAndGoWhenItLeaves() {
    JobMeters a = metrics.job("a", 10, 0, 0);
    JobMeters b = metrics.job("b", 10, 0, 0);
    a.progress(progress(1, 1, 1, 3.0, 10));
    b.progress(progress(1, 2, 2, 2.0, 10));
    assertThat(gauge("step", "a")).isEqualTo(1);
    assertThat(gauge("step", "b")).isEqualTo(2);
    a.close();
    assertThat(registry.find("charstream.trainer.step").tag("model_id", "a").gauge()).isNull();
    assertThat(registry.find("charstream.trainer.trained.chars").tag("model_id", "a").counter())
        .isNull();
    assertThat(gauge("step", "b")).isEqualTo(2);
    b.close();
    assertThat(registry.find("charstream.trainer.step").gauges()).isEmpty();

    JobMeters again = metrics.job("a", 10, 0, 0); // the model's next job starts from zero
    assertThat(trained("a")).isZero();
    again.close();
  }

  @Test
  void runningJobsAreCountedFromEntryToExit() {
    MeterRegistry r = registry;
    metrics.jobEntered();
    metrics.jobEntered();
    assertThat(r.get("charstream.trainer.jobs.running").gauge().value()).isEqualTo(2);
    metrics.jobLeft();
    assertThat(r.get("charstream.trainer.jobs.running").gauge().value()).isEqualTo(1);
  }

  @Test
  void theCorpusIndexSizeIsReadAtEachScrapeAndNaNWhileTheTablesAreAway() {
    TrainerMetrics.CorpusStats[] now = {null};
    metrics.corpusIndex(() -> now[0]);
    assertThat(registry.get("charstream.trainer.corpora").gauge().value()).isNaN();
    now[0] = new TrainerMetrics.CorpusStats(2, 1_500);
    assertThat(registry.get("charstream.trainer.corpora").gauge().value()).isEqualTo(2);
    assertThat(registry.get("charstream.trainer.corpora.chars").gauge().value()).isEqualTo(1_500);
  }

  @Test
  void prometheusNamesAreTheOnesTheDocsAndTheDashboardUse() {
    metrics.corpusIndex(() -> new TrainerMetrics.CorpusStats(1, 10));
    metrics.error("diverged");
    metrics.job("failed");
    metrics.request("job");
    try (JobMeters job = metrics.job("m1", 256, 0, 0)) {
      job.progress(progress(1, 1, 1, 2.0, 100));
      job.checkpointPublished(1, 10, 1_000, 0);
      job.trainingStateWritten(20);
      String scrape = registry.scrape();
      assertThat(scrape)
          .contains("charstream_trainer_step{model_id=\"m1\"} 1.0")
          .contains("charstream_trainer_epoch{model_id=\"m1\"} 1.0")
          .contains("charstream_trainer_loss{model_id=\"m1\"} 2.0")
          .contains("charstream_trainer_val_loss{model_id=\"m1\"} NaN")
          .contains("charstream_trainer_trained_chars_total{model_id=\"m1\"} 256.0")
          .contains("charstream_trainer_epoch_estimated_seconds{model_id=\"m1\"} 25.6")
          .contains("charstream_trainer_checkpoint_last_timestamp_seconds{model_id=\"m1\"} 0.0")
          .contains("charstream_trainer_checkpoint_version{model_id=\"m1\"} 1.0")
          .contains("charstream_trainer_checkpoint_size_bytes_count 1")
          .contains("charstream_trainer_checkpoint_publish_seconds_count 1")
          .contains("charstream_trainer_training_state_writes_total 1.0")
          .contains("charstream_trainer_training_state_size_bytes_sum 20.0")
          .contains("charstream_trainer_errors_total{kind=\"diverged\"} 1.0")
          .contains("charstream_trainer_errors_total{kind=\"internal\"} 0.0")
          .contains("charstream_trainer_jobs_total{state=\"failed\"} 1.0")
          .contains("charstream_trainer_requests_total{outcome=\"job\"} 1.0")
          .contains("charstream_trainer_jobs_running 0.0")
          .contains("charstream_trainer_corpora 1.0")
          .contains("charstream_trainer_corpora_chars 10.0");
    }
  }
}
