package io.charstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.model.CorpusReport;
import io.charstream.model.EpochResult;
import io.charstream.model.ModelConfig;
import io.charstream.model.Progress;
import io.charstream.model.TrainingConfig;
import io.charstream.model.TrainingResult;
import io.charstream.model.Vocabulary;
import io.charstream.model.training.CharRnnTrainer;
import io.charstream.schemas.Topics;
import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.trainer.kafka.TopicProducer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * A real (tiny) training run through the worker's listener: the job's meters follow the engine's
 * events, and the checkpoint meters agree with what went to Kafka.
 */
class JobListenerTest {
  private final Topics topics = Topics.defaults();
  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final TrainerMetrics metrics = new TrainerMetrics(registry);

  private double gauge(String name) {
    return registry.get("charstream.trainer." + name).tag("model_id", "m").gauge().value();
  }

  @Test
  void theJobsMetersFollowATrainingRunAndItsCheckpoints() {
    String corpus = "abcdefgh\n".repeat(220);
    Vocabulary vocabulary = Vocabulary.learn(corpus);
    ModelConfig model = new ModelConfig(vocabulary.size(), 8, 16, 1, 0.0);
    // seqLen 16 x batch 4 = 64 characters a step; a training state every 10 steps inside an epoch
    TrainingConfig training = new TrainingConfig(16, 4, 2, 0.01, 5.0, 0.1, 1L, 10);
    TopicProducer out = new TopicProducer(producer);
    Statuses statuses = new Statuses(topics, out, () -> 4_000L, "w1", metrics);
    TrainingRequest request = TrainingRequest.defaults("j1", "m", "c");
    List<Progress> progress = new ArrayList<>();
    List<EpochResult> epochs = new ArrayList<>();
    TrainingResult result;
    try (JobMeters meters = metrics.job("m", 64, 0, 1_000)) {
      JobListener listener = new JobListener(request, statuses, 0, 0, meters);
      result =
          CharRnnTrainer.start(model, training, vocabulary, corpus)
              .run(
                  new io.charstream.model.TrainingListener() {
                    @Override
                    public void onCorpusReport(CorpusReport r) {
                      listener.onCorpusReport(r);
                    }

                    @Override
                    public void onProgress(Progress p) {
                      progress.add(p);
                      listener.onProgress(p);
                    }

                    @Override
                    public void onEpochEnd(EpochResult r, io.charstream.model.Checkpoint c) {
                      epochs.add(r);
                      listener.onEpochEnd(r, c);
                    }

                    @Override
                    public void onCheckpoint(io.charstream.model.Checkpoint c) {
                      listener.onCheckpoint(c);
                    }
                  },
                  () -> false);

      long steps = result.checkpoint().position().globalStep();
      assertThat(steps).isGreaterThan(20);
      assertThat(gauge("step")).isEqualTo(progress.get(progress.size() - 1).globalStep());
      assertThat(gauge("epoch")).isEqualTo(2);
      assertThat(registry.get("charstream.trainer.trained.chars").counter().count())
          .as("every step trained, 64 characters each")
          .isEqualTo(steps * 64.0);
      assertThat(gauge("loss")).isEqualTo(epochs.get(1).trainLoss());
      assertThat(gauge("val.loss")).isEqualTo(epochs.get(1).valLoss()).isFinite();
      assertThat(gauge("epoch.estimated")).isPositive();

      List<CheckpointEvent> published = events(topics.checkpoints().name());
      List<CheckpointEvent> states = events(topics.trainingState().name());
      assertThat(published).as("one per epoch").hasSize(2);
      assertThat(states.size()).as("each epoch's and the mid-epoch ones").isGreaterThan(2);
      assertThat(gauge("checkpoint.version")).isEqualTo(published.get(1).version());
      assertThat(gauge("checkpoint.last.timestamp")).as("the statuses' clock, 4 s").isEqualTo(4.0);
      assertThat(registry.get("charstream.trainer.checkpoint.size").summary().count()).isEqualTo(2);
      assertThat(registry.get("charstream.trainer.checkpoint.size").summary().totalAmount())
          .isEqualTo(published.stream().mapToDouble(CheckpointEvent::sizeBytes).sum());
      assertThat(registry.get("charstream.trainer.checkpoint.publish").timer().count())
          .isEqualTo(2);
      assertThat(registry.get("charstream.trainer.training.state.writes").counter().count())
          .isEqualTo(states.size());
      assertThat(registry.get("charstream.trainer.training.state.size").summary().totalAmount())
          .isEqualTo(states.stream().mapToDouble(CheckpointEvent::sizeBytes).sum());
    }
    assertThat(registry.find("charstream.trainer.step").gauges()).as("gone with the job").isEmpty();
  }

  private List<CheckpointEvent> events(String topic) {
    return producer.history().stream()
        .filter(r -> r.topic().equals(topic))
        .map(r -> topics.checkpoints().valueSerde().deserializer().deserialize(topic, r.value()))
        .toList();
  }
}
