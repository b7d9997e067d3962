package io.charstream.app.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.it.KafkaBroker;
import io.charstream.app.it.TopicReader;
import io.charstream.schemas.Topic;
import io.charstream.schemas.Topics;
import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.TrainingStatus;
import io.charstream.trainer.TrainerConfig;
import io.charstream.trainer.TrainerWorker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Starts trainer workers on the test broker, configured as a user would (EnvConfig, no process
 * env).
 */
public final class TrainerFixture {
  private TrainerFixture() {}

  /** Config keys for a worker of this test: unique group and Streams app per topic set. */
  public static Map<String, Object> settings(KafkaBroker kafka, Topics topics, String workerId) {
    Map<String, Object> s = new HashMap<>();
    s.put(CommonKeys.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    s.put(CommonKeys.TOPIC_PREFIX, topics.prefix());
    s.put(TrainerConfig.GROUP_ID, topics.prefix() + "trainer");
    s.put(TrainerConfig.APPLICATION_ID, topics.prefix().replace('.', '-') + "trainer-index");
    s.put(TrainerConfig.WORKER_ID, workerId);
    s.put(TrainerConfig.CORPUS_WAIT_MS, 3_000L);
    s.put(TrainerConfig.HTTP_PORT, 0); // any free port: tests read it from the worker
    return s;
  }

  public static TrainerWorker start(Map<String, Object> settings, Map<String, String> kafkaEnv) {
    EnvConfig.Builder b = EnvConfig.builder(TrainerConfig.DEF).env(kafkaEnv);
    settings.forEach(b::override);
    return TrainerWorker.start(b.build());
  }

  /**
   * The model's last event on {@code topic} (its final checkpoint on the checkpoints topic, its
   * final training state on the training-state topic), waiting up to 30 s for it.
   */
  public static CheckpointEvent lastEvent(
      KafkaBroker kafka, Topic<String, CheckpointEvent> topic, String modelId, String what) {
    try (TopicReader<String, CheckpointEvent> reader =
        new TopicReader<>(kafka.clientProps(), topic)) {
      return reader
          .await(Duration.ofSeconds(30), what, r -> r.key().equals(modelId) && r.value().last())
          .value();
    }
  }

  /** A deterministic English-like corpus of about {@code chars} characters (no files needed). */
  public static String corpus(int chars, long seed) {
    String[] words = {
      "the", "king", "queen", "shall", "speak", "of", "my", "lord", "and", "thou", "art", "not",
      "good", "night", "sweet", "prince", "to", "be", "or", "what", "is", "love", "heart", "come",
      "away"
    };
    Random r = new Random(seed);
    StringBuilder sb = new StringBuilder(chars + 64);
    while (sb.length() < chars) {
      int n = 4 + r.nextInt(8);
      for (int i = 0; i < n; i++) {
        sb.append(
            i == 0 ? capitalize(words[r.nextInt(words.length)]) : words[r.nextInt(words.length)]);
        sb.append(i == n - 1 ? ".\n" : " ");
      }
    }
    return sb.toString();
  }

  private static String capitalize(String w) {
    return Character.toUpperCase(w.charAt(0)) + w.substring(1);
  }

  /** A tiny model that trains in seconds: rnn 16, one layer, batches of 8 x 32. */
  public static TrainingRequest tinyRequest(
      String jobId, String modelId, String corpusId, int epochs) {
    return TrainingRequest.builder(modelId, corpusId)
        .jobId(jobId)
        .seqLen(32)
        .embeddingSize(8)
        .rnnSize(16)
        .numLayers(1)
        .learningRate(0.01)
        .batchSize(8)
        .numEpochs(epochs)
        .valFraction(0.1)
        .seed(7L)
        .build();
  }

  /**
   * {@code charstream submit} of a tiny model (as {@link #tinyRequest}: rnn 16, one layer, batches
   * of 8 x 32, learning rate 0.01), then {@code more} flags.
   */
  public static String[] tinySubmit(
      String modelId, String corpusId, String jobId, int epochs, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "submit",
                "--model-id",
                modelId,
                "--corpus-id",
                corpusId,
                "--job-id",
                jobId,
                "--rnn-size",
                "16",
                "--embedding-size",
                "8",
                "--num-layers",
                "1",
                "--batch-size",
                "8",
                "--seq-len",
                "32",
                "--num-epochs",
                Integer.toString(epochs),
                "--learning-rate",
                "0.01"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  /** Waits for the job's last status (it ended: completed, failed, rejected or cancelled). */
  public static <T extends TrainingStatus> T awaitEnd(
      TopicReader<String, TrainingStatus> status, String jobId, Duration timeout, Class<T> type) {
    TrainingStatus end =
        status
            .await(timeout, jobId + " ended", r -> jobId.equals(r.key()) && r.value().terminal())
            .value();
    assertThat(end).as(jobId + " ended").isInstanceOf(type);
    return type.cast(end);
  }
}
