package io.charstream.app.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.Main;
import io.charstream.app.client.TrainingRequests;
import io.charstream.app.it.KafkaBroker;
import io.charstream.app.it.TopicReader;
import io.charstream.model.Checkpoint;
import io.charstream.model.SamplingOptions;
import io.charstream.model.TrainingConfig;
import io.charstream.model.TrainingPreset;
import io.charstream.model.generation.GenerationModel;
import io.charstream.model.generation.TextGenerator;
import io.charstream.schemas.DeadLetters;
import io.charstream.schemas.Topics;
import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.schemas.message.CorpusChunk;
import io.charstream.schemas.message.LrSchedule;
import io.charstream.schemas.message.TrainingStatus;
import io.charstream.schemas.message.ValSplit;
import io.charstream.trainer.CheckpointEvents;
import io.charstream.trainer.TrainerWorker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole training loop through Kafka, with the real CLI commands: upload a corpus, submit a
 * request, see accepted -> progress -> checkpoint -> completed, and generate from the published
 * checkpoint with the engine.
 */
class TrainerIT {
  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();
  static final Duration JOB_TIMEOUT = Duration.ofSeconds(300);

  static Topics topics;
  static TrainerWorker worker;

  @BeforeAll
  static void startTrainer() {
    topics = KAFKA.newTopics();
    worker = TrainerFixture.start(TrainerFixture.settings(KAFKA, topics, "it-trainer"), Map.of());
  }

  @AfterAll
  static void stopTrainer() {
    if (worker != null) worker.close();
  }

  static int cli(String... args) {
    String[] full = new String[args.length + 4];
    System.arraycopy(args, 0, full, 0, args.length);
    full[args.length] = "--bootstrap-servers";
    full[args.length + 1] = KAFKA.bootstrapServers();
    full[args.length + 2] = "--topic-prefix";
    full[args.length + 3] = topics.prefix();
    return Main.newCommandLine().execute(full);
  }

  @Test
  void uploadSubmitTrainPublishAndGenerate(@TempDir Path dir) throws Exception {
    Path corpus = Files.writeString(dir.resolve("tiny.txt"), TrainerFixture.corpus(10_000, 1));
    assertThat(cli("corpus", "put", "--corpus-id", "tiny", corpus.toString())).isZero();
    assertThat(
            cli(
                TrainerFixture.tinySubmit(
                    "tiny-model",
                    "tiny",
                    "job-happy",
                    2,
                    "--val-fraction",
                    "0.1",
                    // The preset fills what the flags leave out (dropout 0.05, cosine to 0.00015);
                    // explicit flags win.
                    "--preset",
                    "recommended",
                    "--val-split",
                    "blocks")))
        .isZero();

    try (TopicReader<String, TrainingStatus> status =
        new TopicReader<>(KAFKA.clientProps(), topics.trainingStatus())) {
      TrainerFixture.awaitEnd(status, "job-happy", JOB_TIMEOUT, TrainingStatus.Completed.class);
      List<TrainingStatus> events =
          status.values().stream().filter(s -> s.jobId().equals("job-happy")).toList();
      assertThat(events.get(events.size() - 1)).isInstanceOf(TrainingStatus.Completed.class);
      assertThat(events.get(0)).isInstanceOf(TrainingStatus.Accepted.class);
      List<String> types = events.stream().map(TrainingStatus::type).distinct().toList();
      assertThat(types).containsExactly("accepted", "progress", "checkpoint", "completed");
      TrainingStatus.Accepted accepted = (TrainingStatus.Accepted) events.get(0);
      assertThat(accepted.request().rnnSize()).isEqualTo(16);
      assertThat(accepted.request().dropRate()).isEqualTo(TrainingPreset.RECOMMENDED.dropRate());
      assertThat(accepted.request().lrSchedule()).isEqualTo(LrSchedule.COSINE);
      assertThat(accepted.request().finalLearningRate())
          .isEqualTo(TrainingPreset.RECOMMENDED.finalLearningRate());
      assertThat(accepted.request().valSplit()).isEqualTo(ValSplit.BLOCKS);
      assertThat(accepted.resumedFrom()).isNull();
      List<TrainingStatus.Progress> progress =
          events.stream()
              .filter(TrainingStatus.Progress.class::isInstance)
              .map(TrainingStatus.Progress.class::cast)
              .toList();
      assertThat(progress).extracting(TrainingStatus.Progress::epoch).contains(1, 2);
      assertThat(progress).allSatisfy(p -> assertThat(p.loss()).isPositive());
      assertThat(progress.get(progress.size() - 1).valLoss()).isNotNull();
      long checkpoints =
          events.stream().filter(TrainingStatus.CheckpointSaved.class::isInstance).count();
      assertThat(checkpoints).isEqualTo(2); // one per epoch
      TrainingStatus.Completed done = (TrainingStatus.Completed) events.get(events.size() - 1);
      assertThat(done.epochs()).isEqualTo(2);
      assertThat(done.trainLoss()).isLessThan(progress.get(0).loss());

      CheckpointEvent event =
          TrainerFixture.lastEvent(
              KAFKA, topics.checkpoints(), "tiny-model", "the final checkpoint");
      assertThat(event.version()).isEqualTo(done.version());
      assertThat(event.trainingState()).isFalse();
      assertThat(event.model().rnnSize()).isEqualTo(16);
      assertThat(event.vocabulary().codePoints()).hasSize(event.model().vocabSize() - 1);
      Checkpoint checkpoint = CheckpointEvents.decode(event);
      assertThat(checkpoint.hasTrainingState()).isFalse();
      // What the engine trained with, as the checkpoint records it (and a resumed job reads
      // back).
      TrainingConfig trained = checkpoint.trainingConfig();
      assertThat(trained.valSplit()).isEqualTo(TrainingConfig.ValidationSplit.BLOCKS);
      assertThat(trained.lrSchedule()).isEqualTo(TrainingConfig.LearningRateSchedule.COSINE);
      assertThat(trained.learningRate()).isEqualTo(0.01);
      assertThat(trained.finalLearningRate())
          .isEqualTo(TrainingPreset.RECOMMENDED.finalLearningRate());
      assertThat(checkpoint.modelConfig().dropRate())
          .isEqualTo(TrainingPreset.RECOMMENDED.dropRate());
      assertThat(event.training()).isEqualTo(accepted.request());
      String text =
          new TextGenerator(GenerationModel.from(checkpoint))
              .generate("The king", 40, SamplingOptions.withSeed(3));
      assertThat(text).hasSize(40);
      assertThat(text.codePoints()).allMatch(cp -> checkpoint.vocabulary().contains(cp));
      CheckpointEvent full =
          TrainerFixture.lastEvent(
              KAFKA, topics.trainingState(), "tiny-model", "the final training state");
      assertThat(full.trainingState()).isTrue();
      assertThat(CheckpointEvents.decode(full).hasTrainingState()).isTrue();
      assertThat(full.sizeBytes()).isGreaterThan(0);
    }
    assertThat(cli("status", "--model-id", "tiny-model", "--job-id", "job-happy", "--follow"))
        .isZero();
  }

  @Test
  void badInputIsRejectedOrDeadLetteredAndTheWorkerKeepsGoing() throws Exception {
    uploadCorpus("tiny-b", TrainerFixture.corpus(10_000, 2));
    String sha = io.charstream.schemas.Sha256.hex("abc".getBytes(StandardCharsets.UTF_8));
    try (KafkaProducer<byte[], byte[]> raw = rawProducer()) {
      String req = topics.trainingRequests().name();
      String corpus = topics.corpus().name();
      send(raw, req, "bad-json-model", "this is not json");
      send(raw, req, null, "{{{");
      send(
          raw,
          req,
          "m-unknown-field",
          "{\"schemaVersion\":1,\"jobId\":\"job-unknown-field\",\"modelId\":"
              + "\"m-unknown-field\",\"corpusId\":\"tiny-b\",\"rnnSise\":3}");
      send(
          raw,
          req,
          "m-bad-type",
          "{\"schemaVersion\":1,\"jobId\":\"job-bad-type\",\"modelId\":\"m-bad-type\","
              + "\"corpusId\":\"tiny-b\",\"rnnSize\":\"big\"}");
      send(
          raw,
          req,
          "m-no-corpus",
          json(TrainerFixture.tinyRequest("job-no-corpus", "m-no-corpus", "nope", 1)));
      send(
          raw,
          req,
          "m-huge",
          "{\"schemaVersion\":1,\"jobId\":\"job-huge\",\"modelId\":\"m-huge\","
              + "\"corpusId\":\"tiny-b\",\"rnnSize\":2000}");
      send(
          raw,
          req,
          "someone-else",
          json(TrainerFixture.tinyRequest("job-wrong-key", "m-wrong-key", "tiny-b", 1)));
      send(raw, corpus, "junk", "garbage chunk");
      // A truncated upload (2 of 3 chunks) and a corrupt one (text does not match its SHA-256).
      send(raw, corpus, "trunc", chunk("trunc", 0, 3, sha, "a"));
      send(raw, corpus, "trunc", chunk("trunc", 1, 3, sha, "b"));
      send(raw, corpus, "corrupt", chunk("corrupt", 0, 1, sha, "abd"));
      send(
          raw,
          req,
          "m-trunc",
          json(TrainerFixture.tinyRequest("job-trunc", "m-trunc", "trunc", 1)));
      send(
          raw,
          req,
          "m-corrupt",
          json(TrainerFixture.tinyRequest("job-corrupt", "m-corrupt", "corrupt", 1)));
      send(
          raw,
          req,
          "m-after",
          json(TrainerFixture.tinyRequest("job-after-bad", "m-after", "tiny-b", 1)));
    }
    try (TopicReader<String, TrainingStatus> status =
        new TopicReader<>(KAFKA.clientProps(), topics.trainingStatus())) {
      assertThat(rejected(status, "job-unknown-field").field()).isEqualTo("rnnSise");
      assertThat(rejected(status, "job-bad-type").reason()).contains("rnnSize").contains("integer");
      assertThat(rejected(status, "job-no-corpus").reason()).contains("unknown corpus 'nope'");
      assertThat(rejected(status, "job-huge").reason())
          .contains("parameters")
          .contains("max.parameters");
      assertThat(rejected(status, "job-wrong-key").field()).isEqualTo("modelId");
      assertThat(rejected(status, "job-trunc").reason()).contains("2 of 3 chunks");
      assertThat(rejected(status, "job-corrupt").reason()).contains("corrupt or truncated");
      TrainingStatus unreadable =
          status
              .await(
                  JOB_TIMEOUT,
                  "a rejection of the unreadable record",
                  r -> "bad-json-model".equals(r.value().modelId()))
              .value();
      assertThat(((TrainingStatus.Rejected) unreadable).reason()).contains("not valid JSON");
      // ... and a good request behind them all still trains.
      status.await(
          JOB_TIMEOUT,
          "job-after-bad completed",
          r -> r.key().equals("job-after-bad") && r.value() instanceof TrainingStatus.Completed);
    }
    try (TopicReader<byte[], byte[]> dlq =
        new TopicReader<>(KAFKA.clientProps(), topics.deadLetter(topics.trainingRequests()))) {
      dlq.await(Duration.ofSeconds(60), "two dead letters", r -> dlq.values().size() >= 2);
      assertThat(dlq.poll())
          .hasSize(2)
          .allSatisfy(
              r -> {
                assertThat(DeadLetters.header(r.headers(), DeadLetters.ERROR_KIND))
                    .isEqualTo("not-json");
                assertThat(DeadLetters.header(r.headers(), DeadLetters.SOURCE_TOPIC))
                    .isEqualTo(topics.trainingRequests().name());
              });
      assertThat(dlq.values())
          .extracting(v -> new String(v, StandardCharsets.UTF_8))
          .containsExactlyInAnyOrder("this is not json", "{{{");
    }
    try (TopicReader<byte[], byte[]> dlq =
        new TopicReader<>(KAFKA.clientProps(), topics.deadLetter(topics.corpus()))) {
      ConsumerRecord<byte[], byte[]> r =
          dlq.await(Duration.ofSeconds(60), "the corpus dead letter", x -> true);
      assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo("garbage chunk");
      assertThat(DeadLetters.header(r.headers(), DeadLetters.ERROR_MESSAGE))
          .contains("not valid JSON");
    }
  }

  @Test
  void aCancelRequestStopsARunningJobWithAFinalCheckpoint() throws Exception {
    uploadCorpus("tiny-c", TrainerFixture.corpus(10_000, 3));
    TrainingRequests.send(
        KAFKA.clientProps(),
        topics.trainingRequests(),
        TrainerFixture.tinyRequest("job-cancel", "m-cancel", "tiny-c", 500));
    try (TopicReader<String, TrainingStatus> status =
        new TopicReader<>(KAFKA.clientProps(), topics.trainingStatus())) {
      status.await(
          JOB_TIMEOUT,
          "job-cancel progressing",
          r -> r.key().equals("job-cancel") && r.value() instanceof TrainingStatus.Progress);
      TrainingRequests.cancel(
          KAFKA.clientProps(), topics.trainingControl(), "job-cancel", "changed my mind");
      TrainingStatus.Cancelled c =
          TrainerFixture.awaitEnd(
              status, "job-cancel", JOB_TIMEOUT, TrainingStatus.Cancelled.class);
      assertThat(c.reason()).isEqualTo("changed my mind");
      assertThat(c.version()).isNotNull();
      try (TopicReader<String, CheckpointEvent> cps =
          new TopicReader<>(KAFKA.clientProps(), topics.checkpoints())) {
        CheckpointEvent last =
            cps.await(
                    Duration.ofSeconds(60),
                    "the cancelled job's checkpoint",
                    r -> r.value().jobId().equals("job-cancel") && r.value().last())
                .value();
        assertThat(last.version()).isEqualTo(c.version());
      }
    }
  }

  static void uploadCorpus(String id, String text) {
    new io.charstream.app.client.CorpusUploader(KAFKA.clientProps(), topics)
        .upload(id, text, n -> {});
  }

  static TrainingStatus.Rejected rejected(
      TopicReader<String, TrainingStatus> status, String jobId) {
    return TrainerFixture.awaitEnd(status, jobId, JOB_TIMEOUT, TrainingStatus.Rejected.class);
  }

  static KafkaProducer<byte[], byte[]> rawProducer() {
    return new KafkaProducer<>(
        KAFKA.clientProps(), new ByteArraySerializer(), new ByteArraySerializer());
  }

  static void send(KafkaProducer<byte[], byte[]> p, String topic, String key, String value)
      throws Exception {
    p.send(
            new ProducerRecord<>(
                topic,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8)))
        .get();
  }

  static String json(Object message) {
    return io.charstream.schemas.json.Json.writeString(message);
  }

  static String chunk(String corpusId, int index, int count, String sha, String text) {
    return json(new CorpusChunk(1, corpusId, "u-" + corpusId, index, count, sha, text));
  }

  @Test
  void twoTrainersShareTheJobsThroughPartitions() throws Exception {
    uploadCorpus("tiny-s", TrainerFixture.corpus(6_000, 4));
    int partitions = topics.trainingRequests().settings().partitions();
    java.util.Map<Integer, String> modelOfPartition = new java.util.TreeMap<>();
    for (int i = 0; modelOfPartition.size() < partitions; i++) {
      modelOfPartition.putIfAbsent(
          io.charstream.trainer.kafka.PartitionScan.partitionFor("share-" + i, partitions),
          "share-" + i);
    }
    Map<String, Object> settings = TrainerFixture.settings(KAFKA, topics, "it-trainer-2");
    try (TrainerWorker second = TrainerFixture.start(settings, Map.of());
        TopicReader<String, TrainingStatus> status =
            new TopicReader<>(KAFKA.clientProps(), topics.trainingStatus())) {
      // One model per partition: whatever the (balanced) assignment, both trainers get jobs.
      for (String model : modelOfPartition.values()) {
        TrainingRequests.send(
            KAFKA.clientProps(),
            topics.trainingRequests(),
            TrainerFixture.tinyRequest("job-" + model, model, "tiny-s", 1));
      }
      for (String model : modelOfPartition.values()) {
        status.await(
            JOB_TIMEOUT,
            "job-" + model + " completed",
            r -> r.key().equals("job-" + model) && r.value() instanceof TrainingStatus.Completed);
      }
      List<TrainingStatus.Accepted> accepted =
          status.values().stream()
              .filter(TrainingStatus.Accepted.class::isInstance)
              .map(s -> (TrainingStatus.Accepted) s)
              .filter(a -> a.jobId().startsWith("job-share-"))
              .toList();
      // Every job starts fresh exactly once. The second trainer may join after the first has taken
      // every partition: the rebalance then hands a running job over, and its new owner accepts it
      // again as a resumption (resumedFrom set), which is the hand-over working, not a second run.
      List<String> freshJobs =
          accepted.stream()
              .filter(a -> a.resumedFrom() == null)
              .map(TrainingStatus.Accepted::jobId)
              .toList();
      assertThat(freshJobs).hasSize(partitions).doesNotHaveDuplicates();
      assertThat(accepted.stream().map(TrainingStatus.Accepted::workerId))
          .containsOnly("it-trainer", "it-trainer-2")
          .contains("it-trainer", "it-trainer-2");
      List<String> completed =
          status.values().stream()
              .filter(TrainingStatus.Completed.class::isInstance)
              .map(TrainingStatus::jobId)
              .filter(j -> j.startsWith("job-share-"))
              .toList();
      assertThat(completed).hasSize(partitions).doesNotHaveDuplicates();
    }
  }
}
