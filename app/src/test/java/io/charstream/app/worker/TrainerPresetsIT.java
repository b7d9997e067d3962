package io.charstream.app.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.cli.NativeTuning;
import io.charstream.app.client.CorpusUploader;
import io.charstream.app.client.TrainingRequests;
import io.charstream.app.it.KafkaBroker;
import io.charstream.app.it.TopicReader;
import io.charstream.model.Checkpoint;
import io.charstream.model.SamplingOptions;
import io.charstream.model.TrainingPreset;
import io.charstream.model.generation.GenerationModel;
import io.charstream.model.generation.TextGenerator;
import io.charstream.schemas.Topics;
import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.schemas.message.Preset;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.TrainingStatus;
import io.charstream.trainer.CheckpointEvents;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The named recipes train through the Kafka trainer as it runs in production: its own JVM with the
 * heap {@code charstream trainer} gets. The large preset (2 x LSTM 448) trains and its checkpoint
 * generates; a request whose training would not fit in that heap is rejected naming the heap,
 * instead of an OutOfMemoryError in the trainer, which then trains the next request.
 */
class TrainerPresetsIT {
  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();
  static final Duration TIMEOUT = Duration.ofSeconds(300);

  @Test
  void theLargePresetTrainsInTheTrainersHeapAndATooLargeRequestIsRejected(@TempDir Path dir)
      throws Exception {
    Topics topics = KAFKA.newTopics();
    Map<String, Object> settings = TrainerFixture.settings(KAFKA, topics, "presets");
    new CorpusUploader(KAFKA.clientProps(), topics)
        .upload("presets-corpus", TrainerFixture.corpus(60_000, 11), n -> {});
    // 512 x 64 characters a step of the large network: 180 M activation floats, under the
    // default max.batch.activation.floats (200 M) but far beyond the trainer's heap.
    TrainingRequest tooLarge =
        TrainingRequest.builder("m-too-large", "presets-corpus")
            .jobId("job-too-large")
            .preset(Preset.LARGE)
            .batchSize(512)
            .numEpochs(1)
            .build();
    TrainingRequest large =
        TrainingRequest.builder("m-large", "presets-corpus")
            .jobId("job-large")
            .preset(Preset.LARGE)
            .numEpochs(1)
            .seed(3L)
            .build();
    TrainingRequests.send(KAFKA.clientProps(), topics.trainingRequests(), tooLarge);
    TrainingRequests.send(KAFKA.clientProps(), topics.trainingRequests(), large);

    String heap = NativeTuning.HEAPS.get("trainer");
    Path log = dir.resolve("trainer.log");
    Process trainer = TrainerFailoverIT.startChild(settings, log, heap);
    // The child trainer is stopped however the test ends.
    try {
      try (TopicReader<String, TrainingStatus> status =
          new TopicReader<>(KAFKA.clientProps(), topics.trainingStatus())) {
        TrainingStatus.Rejected rejected =
            TrainerFixture.awaitEnd(
                status, "job-too-large", TIMEOUT, TrainingStatus.Rejected.class);
        assertThat(rejected.field()).isEqualTo("rnnSize");
        assertThat(rejected.reason()).contains("MB of Java heap", "-Xmx");

        TrainingStatus.Completed done =
            TrainerFixture.awaitEnd(status, "job-large", TIMEOUT, TrainingStatus.Completed.class);
        assertThat(done.epochs()).as("log: " + log).isEqualTo(1);
        TrainingStatus.Accepted accepted =
            status.values().stream()
                .filter(s -> s.jobId().equals("job-large"))
                .filter(TrainingStatus.Accepted.class::isInstance)
                .map(TrainingStatus.Accepted.class::cast)
                .findFirst()
                .orElseThrow();
        assertThat(accepted.request().rnnSize()).isEqualTo(TrainingPreset.LARGE.rnnSize());
        assertThat(accepted.request().dropRate()).isEqualTo(TrainingPreset.LARGE.dropRate());
        assertThat(accepted.request().learningRate())
            .isEqualTo(TrainingPreset.LARGE.learningRate());
        assertThat(accepted.request().numEpochs()).isEqualTo(1);
      }
      CheckpointEvent last =
          TrainerFixture.lastEvent(
              KAFKA, topics.checkpoints(), "m-large", "the large model's final checkpoint");
      Checkpoint checkpoint = CheckpointEvents.decode(last);
      assertThat(checkpoint.modelConfig().rnnSize()).isEqualTo(448);
      assertThat(checkpoint.modelConfig().parameterCount()).isEqualTo(2_516_514);
      String text =
          new TextGenerator(GenerationModel.from(checkpoint))
              .generate("The king", 40, SamplingOptions.withSeed(3));
      assertThat(text).hasSize(40);
    } finally {
      trainer.destroy();
      trainer.waitFor();
    }
  }
}
