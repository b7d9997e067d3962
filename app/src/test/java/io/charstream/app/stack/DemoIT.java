package io.charstream.app.stack;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.Main;
import io.charstream.app.it.KafkaBroker;
import io.charstream.app.it.Stacks;
import io.charstream.app.it.TopicReader;
import io.charstream.schemas.Topics;
import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.schemas.message.GenerateResponse;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.TrainingStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's path end to end on a real broker, with a tiny corpus and a tiny model so it takes
 * seconds: what the user reads (progress, checkpoints, answers that start with their seeds) and
 * what lands on the topics.
 */
class DemoIT {
  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();

  @TempDir static Path dir;
  static Path corpus;
  static final String TEXT =
      "First Citizen:\nBefore we proceed any further, hear me speak.\n\n"
          + "All:\nSpeak, speak.\n\n";
  static final int REPEAT = 12;
  static final List<String> SEEDS = List.of("First", "Speak", "All:\n");

  @BeforeAll
  static void writeCorpus() throws Exception {
    corpus = dir.resolve("tiny.txt");
    Files.writeString(corpus, TEXT.repeat(REPEAT));
  }

  /** A small model and few steps: a run is seconds on one core. */
  static TrainingRequest tinyRequest(String jobId, String corpusId) {
    return TrainingRequest.builder("tiny-demo", corpusId)
        .jobId(jobId)
        .seqLen(16)
        .embeddingSize(8)
        .rnnSize(16)
        .numLayers(1)
        .dropRate(0.0)
        .learningRate(0.01)
        .clipNorm(5.0)
        .batchSize(4)
        .numEpochs(2)
        .valFraction(0.1)
        .seed(7L)
        .restore(false)
        .build();
  }

  @Test
  void demoPathPublishesTrainsAndAnswersThroughKafka() throws Exception {
    Topics topics = KAFKA.newTopics();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    DemoPlan plan =
        new DemoPlan(
            0,
            tinyRequest("demo-it-1", "tiny"),
            SEEDS,
            40,
            3,
            1.0,
            5L,
            Duration.ofSeconds(60),
            Duration.ofSeconds(60));

    Demo.Result result;
    try (EmbeddedStack stack = EmbeddedStack.start(Stacks.workers(KAFKA, topics, Map.of()))) {
      assertThat(stack.broker()).isEmpty();
      assertThat(stack.bootstrapServers()).isEqualTo(KAFKA.bootstrapServers());
      result =
          new Demo(stack.clientProps(), topics, out, false)
              .run(plan, Files.readString(corpus), "tiny.txt");
    }
    String seen = bytes.toString(StandardCharsets.UTF_8);

    // What the user reads: each step, progress, a checkpoint per epoch, completion, and the
    // answers.
    String chars = String.format(Locale.ROOT, "%,d", TEXT.length() * REPEAT);
    assertThat(seen)
        .contains(
            "[1/3] corpus: publishing tiny.txt ("
                + chars
                + " chars) as 'tiny' to "
                + topics.corpus().name());
    assertThat(seen)
        .contains("[2/3] training: job demo-it-1 submitted to " + topics.trainingRequests().name());
    assertThat(seen).containsPattern("epoch 1/2 step \\d+/\\d+ loss \\d+\\.\\d+");
    assertThat(seen)
        .contains("checkpoint v1 after epoch 1")
        .contains("checkpoint v2 after epoch 2")
        .contains("COMPLETED: model v2 after 2 epochs");
    assertThat(seen)
        .contains(
            "[3/3] generating: 3 prompt(s) to "
                + topics.generateRequests().name()
                + " (model tiny-demo v2, 40 chars each");
    List<String> lines = seen.lines().toList();
    for (Demo.Answer a : result.answers()) {
      String firstLine = a.seed().lines().findFirst().orElseThrow();
      assertThat(lines)
          .as("a printed line starting with seed %s", a.seed())
          .anyMatch(l -> l.startsWith(firstLine));
      assertThat(seen).contains(a.seed() + a.response().text());
    }

    // What the run saw and produced.
    assertThat(result.corpus().chars()).isEqualTo(TEXT.length() * (long) REPEAT);
    assertThat(result.statuses()).first().isInstanceOf(TrainingStatus.Accepted.class);
    assertThat(result.statuses())
        .filteredOn(s -> s instanceof TrainingStatus.Progress)
        .isNotEmpty();
    assertThat(result.statuses())
        .filteredOn(s -> s instanceof TrainingStatus.CheckpointSaved)
        .hasSize(2);
    assertThat(result.completed().version()).isEqualTo(2);
    assertThat(result.answers())
        .extracting(Demo.Answer::seed)
        .containsExactlyInAnyOrderElementsOf(SEEDS);
    for (Demo.Answer a : result.answers()) {
      GenerateResponse r = a.response();
      assertThat(r.finishReason()).isEqualTo(GenerateResponse.FinishReason.LENGTH);
      assertThat(r.text()).hasSize(40);
      assertThat(r.modelId()).isEqualTo("tiny-demo");
      assertThat(r.modelVersion()).isEqualTo(2L);
    }

    // The checkpoint a generator anywhere would load is on the checkpoints topic.
    try (TopicReader<String, CheckpointEvent> checkpoints =
        new TopicReader<>(KAFKA.clientProps(), topics.checkpoints())) {
      CheckpointEvent last =
          checkpoints
              .await(
                  Duration.ofSeconds(30),
                  "the final checkpoint of tiny-demo",
                  r -> "tiny-demo".equals(r.key()) && r.value().version() == 2)
              .value();
      assertThat(last.jobId()).isEqualTo("demo-it-1");
      assertThat(last.epoch()).isEqualTo(2);
      assertThat(last.sizeBytes()).isPositive();
    }
  }

  @Test
  void demoCommandRunsOnItsOwnEmbeddedBrokerAndStops() throws Exception {
    Printed demo =
        demo("--model-id", "cli-demo", "--length", "30", "--seed", "First", "--seed", "Speak");
    int status = demo.status();
    String seen = demo.out();
    assertThat(status).as(seen).isZero();
    assertThat(seen)
        .startsWith("charstream demo: embedded Kafka broker on 127.0.0.1:")
        .contains("(temporary data)");
    assertThat(seen).contains("(first ").contains(" chars; --corpus-chars 0 for all) as 'tiny'");
    assertThat(seen).contains("COMPLETED: model v1 after 1 epochs");
    List<String> lines = seen.lines().toList();
    for (String seed : List.of("First", "Speak")) {
      int header = indexOf(lines, "--- \"" + seed + "\" -> cli-demo v1, 30 chars");
      assertThat(header).as("answer header for %s in:%n%s", seed, seen).isNotNegative();
      assertThat(lines.get(header + 1)).startsWith(seed);
    }
    assertThat(seen).containsPattern("demo: done in \\d+");
  }

  @Test
  void demoCommandRunsOnAnExternalClusterWithTheClustersWorkers() throws Exception {
    Topics topics = KAFKA.newTopics();
    // The cluster's workers: started here, as `charstream up --bootstrap-servers` would.
    try (EmbeddedStack workers = EmbeddedStack.start(Stacks.workers(KAFKA, topics, Map.of()))) {
      Printed demo =
          demo(
              "--bootstrap-servers",
              KAFKA.bootstrapServers(),
              "--topic-prefix",
              topics.prefix(),
              "--no-workers",
              "--model-id",
              "ext-demo",
              "--length",
              "20",
              "--seed",
              "All");
      int status = demo.status();
      String seen = demo.out();
      assertThat(status).as(seen).isZero();
      assertThat(seen)
          .startsWith(
              "charstream demo: Kafka cluster "
                  + KAFKA.bootstrapServers()
                  + ", topics "
                  + topics.prefix()
                  + "*, the cluster's trainers and generators.");
      assertThat(seen)
          .contains("COMPLETED: model v1")
          .contains("--- \"All\" -> ext-demo v1, 20 chars");
    }
  }

  record Printed(int status, String out) {}

  /**
   * {@code charstream demo} on the tiny corpus (its first 500 characters) with a tiny one-epoch
   * model, and {@code flags}: its exit status and what it printed on stdout.
   */
  private static Printed demo(String... flags) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "demo",
                "--text-path",
                corpus.toString(),
                "--corpus-chars",
                "500",
                "--num-epochs",
                "1",
                "--seq-len",
                "16",
                "--batch-size",
                "4",
                "--rnn-size",
                "16",
                "--num-layers",
                "1",
                "--embedding-size",
                "8"));
    args.addAll(List.of(flags));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream original = System.out;
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      int status = Main.newCommandLine().execute(args.toArray(String[]::new));
      return new Printed(status, bytes.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(original);
    }
  }

  private static int indexOf(List<String> lines, String prefix) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith(prefix)) return i;
    }
    return -1;
  }
}
