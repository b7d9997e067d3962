package io.charstream.app.bench;

import io.charstream.app.broker.EmbeddedBroker;
import io.charstream.app.cli.JsonOut;
import io.charstream.app.client.CorpusUploader;
import io.charstream.app.client.TrainingRequests;
import io.charstream.schemas.Topics;
import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.json.MessageFormatException;
import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.TrainingStatus;
import io.charstream.trainer.CheckpointEvents;
import io.charstream.trainer.TrainerConfig;
import io.charstream.trainer.TrainerWorker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code charstream bench trainer}: the trainer's Kafka figures on a real broker, as one JSON
 * object: corpus upload time, request -> accepted and -> first progress, checkpoint sizes with and
 * without Adam state, and the time a second trainer needs to resume a handed-over job.
 */
@Command(
    name = "trainer",
    mixinStandardHelpOptions = true,
    description = {
      "Measure the Kafka trainer: upload, time to first progress, checkpoint sizes, time to resume.",
      "Runs an embedded broker and two trainers in this JVM; trains the reference spec briefly."
    })
public final class BenchTrainerCommand implements Callable<Integer> {
  @Option(
      names = "--text-path",
      required = true,
      paramLabel = "FILE",
      description = "Corpus (UTF-8).")
  Path textPath;

  @Option(
      names = "--state-every-steps",
      defaultValue = "50",
      paramLabel = "N",
      description =
          "Training state saved every N batches (the resume point). Default ${DEFAULT-VALUE}.")
  int stateEverySteps;

  @Override
  public Integer call() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    String text = CorpusUploader.decodeUtf8(Files.readAllBytes(textPath), textPath.toString());
    String run = "bench" + Long.toHexString(System.nanoTime() & 0xffffffL);
    Topics topics = new Topics(run + ".");
    long t0 = System.nanoTime();
    try (EmbeddedBroker broker =
        EmbeddedBroker.start(new EmbeddedBroker.Options(0, null, topics, Map.of()))) {
      out.put("broker_start_s", seconds(t0));
      String servers = broker.bootstrapServers();
      Map<String, Object> client = Map.of(CommonKeys.BOOTSTRAP_SERVERS, servers);

      CorpusUploader.Result up = new CorpusUploader(client, topics).upload("bench", text, n -> {});
      out.put("corpus_bytes", up.bytes());
      out.put("corpus_chunks", up.chunks());
      out.put("corpus_upload_s", up.took().toNanos() / 1e9);

      Map<String, Object> settings = new HashMap<>();
      settings.put(CommonKeys.BOOTSTRAP_SERVERS, servers);
      settings.put(CommonKeys.TOPIC_PREFIX, topics.prefix());
      settings.put(TrainerConfig.GROUP_ID, run + "-trainer");
      settings.put(TrainerConfig.APPLICATION_ID, run + "-index");
      settings.put(TrainerConfig.STATE_EVERY_STEPS, stateEverySteps);
      settings.put(TrainerConfig.WORKER_ID, "bench-a");
      settings.put(TrainerConfig.HTTP_PORT, -1);
      long startA = System.nanoTime();
      TrainerWorker a = start(settings);
      out.put("trainer_start_s", seconds(startA));

      try (Watch watch = new Watch(client, topics)) {
        TrainingRequest request =
            TrainingRequest.defaults("bench-job", "bench-model", "bench").withSeed(1);
        long sent = System.nanoTime();
        TrainingRequests.send(client, topics.trainingRequests(), request);
        watch.await(s -> s instanceof TrainingStatus.Accepted);
        out.put("request_to_accepted_s", seconds(sent));
        TrainingStatus.Progress first =
            (TrainingStatus.Progress) watch.await(s -> s instanceof TrainingStatus.Progress);
        out.put("request_to_first_progress_s", seconds(sent));
        out.put("train_chars_per_s_first_progress", Math.round(first.charsPerSecond()));

        CheckpointEvent state = watch.firstTrainingState();
        out.put("checkpoint_bytes_with_adam", state.sizeBytes());
        byte[] weightsOnly = CheckpointEvents.decode(state).withoutTrainingState().toBytes();
        out.put("checkpoint_bytes_weights_only", weightsOnly.length);
        out.put("checkpoint_record_bytes_with_adam", Json.write(state).length);
        out.put("training_state_at_step", state.globalStep());

        long handover = System.nanoTime();
        a.close(); // hands the job over: it saves its state and leaves the group
        out.put("handover_s", seconds(handover));
        settings.put(TrainerConfig.WORKER_ID, "bench-b");
        long startB = System.nanoTime();
        try (TrainerWorker b = start(settings)) {
          TrainingStatus.Accepted resumed =
              (TrainingStatus.Accepted)
                  watch.await(
                      s ->
                          s instanceof TrainingStatus.Accepted acc
                              && acc.workerId().equals("bench-b"));
          out.put("resume_to_accepted_s", seconds(startB));
          out.put(
              "resumed_from_step",
              resumed.resumedFrom() == null ? -1 : resumed.resumedFrom().globalStep());
          TrainingStatus.Progress next =
              (TrainingStatus.Progress) watch.await(s -> s instanceof TrainingStatus.Progress);
          out.put("resume_to_first_progress_s", seconds(startB));
          out.put("first_progress_step_after_resume", next.globalStep());
          TrainingRequests.cancel(client, topics.trainingControl(), "bench-job", "benchmark done");
          watch.await(TrainingStatus::terminal);
        }
      }
    }
    out.put("load_average_1m", Machine.loadAverage());
    out.putAll(Machine.memory());
    System.out.println(JsonOut.line(out));
    return 0;
  }

  private static TrainerWorker start(Map<String, Object> settings) {
    EnvConfig.Builder b = EnvConfig.builder(TrainerConfig.DEF).env(Map.of());
    settings.forEach(b::override);
    return TrainerWorker.start(b.build());
  }

  private static double seconds(long since) {
    return Math.round((System.nanoTime() - since) / 1e6) / 1000.0;
  }

  /** Follows the status and training-state topics from their start. */
  private static final class Watch implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final String statusTopic;
    private final String stateTopic;
    private final List<TrainingStatus> statuses = new java.util.ArrayList<>();
    private int cursor;
    private CheckpointEvent firstState;

    Watch(Map<String, Object> client, Topics topics) {
      Map<String, Object> p = new HashMap<>(client);
      p.putAll(io.charstream.schemas.ClientSizes.consumer(topics.trainingState()));
      p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
      statusTopic = topics.trainingStatus().name();
      stateTopic = topics.trainingState().name();
      List<TopicPartition> parts = new java.util.ArrayList<>();
      for (String t : List.of(statusTopic, stateTopic)) {
        consumer
            .partitionsFor(t, Duration.ofSeconds(30))
            .forEach(i -> parts.add(new TopicPartition(t, i.partition())));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
    }

    /** The next status (after those already returned) that matches. */
    TrainingStatus await(Predicate<TrainingStatus> match) {
      long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
      while (System.nanoTime() < deadline) {
        while (cursor < statuses.size()) {
          TrainingStatus s = statuses.get(cursor++);
          if (match.test(s)) return s;
        }
        poll();
      }
      throw new IllegalStateException("timed out waiting for a training status");
    }

    CheckpointEvent firstTrainingState() {
      long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
      while (firstState == null && System.nanoTime() < deadline) poll();
      if (firstState == null) throw new IllegalStateException("no training state was saved");
      return firstState;
    }

    private void poll() {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        try {
          if (r.topic().equals(statusTopic)) {
            statuses.add(Json.read(r.value(), TrainingStatus.class));
          } else if (firstState == null) {
            firstState = Json.read(r.value(), CheckpointEvent.class);
          }
        } catch (MessageFormatException e) {
          // not produced by charstream: ignore
        }
      }
    }

    @Override
    public void close() {
      consumer.close();
    }
  }
}
