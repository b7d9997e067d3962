package io.charstream.app.stack;

import io.charstream.app.broker.BrokerStartException;
import io.charstream.app.cli.CliCommand;
import io.charstream.app.cli.ClientOptions;
import io.charstream.app.cli.CommandFailed;
import io.charstream.app.cli.ProgressBar;
import io.charstream.app.cli.ShutdownHook;
import io.charstream.app.cli.UserError;
import io.charstream.app.client.CorpusUploader;
import io.charstream.generator.GeneratorConfig;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.schemas.json.InvalidFieldException;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.VocabularyMode;
import io.charstream.trainer.TrainerConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code charstream demo}: the whole loop on one machine, start to finish, in a few minutes. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "The whole loop on one machine, in a few minutes: start a Kafka broker, a",
      "trainer and a generator in this JVM; publish a corpus; train a model through",
      "Kafka (its progress streams from training-status); send seed prompts through",
      "generate-requests and print the answers as they arrive; stop everything.",
      "Without --bootstrap-servers it runs its own broker on a free port; with it,",
      "it runs on that cluster (with its own workers, or with --no-workers the",
      "cluster's).",
      ""
    })
public final class DemoCommand extends CliCommand {
  /**
   * Characters of the corpus the demo trains on by default, and epochs: measured to finish in a few
   * minutes on 2 cores (see docs/demo.md).
   */
  static final int DEFAULT_CORPUS_CHARS = 0;

  static final int DEFAULT_NUM_EPOCHS = 2;
  static final int DEFAULT_BATCH_SIZE = 32;
  static final double DEFAULT_LEARNING_RATE = 0.01;
  static final List<String> SHAKESPEARE_SEEDS = List.of("KING RICHARD", "ROMEO:", "JULIET:");

  @Option(
      names = "--text-path",
      paramLabel = "FILE",
      description =
          "UTF-8 corpus to train on (default: data/tinyshakespeare.txt, fetched by data/fetch.sh if missing).")
  Path textPath;

  @Option(
      names = "--corpus-chars",
      paramLabel = "N",
      defaultValue = "" + DEFAULT_CORPUS_CHARS,
      description =
          "Train on the first N characters of the corpus, 0 = all (default: ${DEFAULT-VALUE}).")
  int corpusChars;

  @Option(
      names = "--corpus-id",
      paramLabel = "ID",
      description = "Corpus id (default: the file's name).")
  String corpusId;

  @Option(
      names = "--model-id",
      paramLabel = "ID",
      defaultValue = "demo",
      description = "Model id the checkpoints are published under (default: ${DEFAULT-VALUE}).")
  String modelId;

  @Option(
      names = "--num-epochs",
      paramLabel = "N",
      defaultValue = "" + DEFAULT_NUM_EPOCHS,
      description = "Epochs (default: ${DEFAULT-VALUE}; the reference trains 32).")
  int numEpochs;

  @Option(
      names = "--learning-rate",
      paramLabel = "LR",
      defaultValue = "" + DEFAULT_LEARNING_RATE,
      description =
          "Adam learning rate (default: ${DEFAULT-VALUE}, higher than the reference's 0.001 for a short run).")
  double learningRate;

  @Option(
      names = "--seq-len",
      paramLabel = "N",
      description = "Sequence length (default: the reference's 64).")
  Integer seqLen;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      defaultValue = "" + DEFAULT_BATCH_SIZE,
      description =
          "Batch size (default: ${DEFAULT-VALUE}; the reference's 64 learns less per second here).")
  int batchSize;

  @Option(
      names = "--embedding-size",
      paramLabel = "N",
      description = "Embedding size (default: 32).")
  Integer embeddingSize;

  @Option(
      names = "--rnn-size",
      paramLabel = "N",
      description = "LSTM units per layer (default: 128).")
  Integer rnnSize;

  @Option(names = "--num-layers", paramLabel = "N", description = "LSTM layers (default: 2).")
  Integer numLayers;

  @Option(names = "--drop-rate", paramLabel = "P", description = "Dropout (default: 0).")
  Double dropRate;

  @Option(
      names = "--clip-norm",
      paramLabel = "N",
      description = "Global gradient-norm clip (default: 5).")
  Double clipNorm;

  @Option(
      names = "--val-fraction",
      paramLabel = "F",
      description = "Held-out fraction for the validation loss (default: 0.05).")
  Double valFraction;

  @Option(
      names = "--vocabulary",
      paramLabel = "KIND",
      description = "reference (default) or learned.")
  VocabularyMode vocabulary;

  @Option(
      names = "--seed",
      paramLabel = "TEXT",
      description =
          "A seed prompt; repeatable (default: KING RICHARD, ROMEO:, JULIET: for tinyshakespeare, else three "
              + "line starts of the corpus).")
  List<String> seeds;

  @Option(
      names = "--length",
      paramLabel = "N",
      defaultValue = "300",
      description = "Characters to generate per seed (default: ${DEFAULT-VALUE}).")
  int length;

  @Option(
      names = "--top-n",
      paramLabel = "N",
      defaultValue = "3",
      description = "Sample among the N most probable characters (default: ${DEFAULT-VALUE}).")
  int topN;

  @Option(
      names = "--temperature",
      paramLabel = "T",
      defaultValue = "1.0",
      description = "Softmax temperature (default: ${DEFAULT-VALUE}).")
  double temperature;

  @Option(
      names = "--random-seed",
      paramLabel = "N",
      defaultValue = "42",
      description =
          "Seed of the training run and of the samplers: same seed, same demo (default: ${DEFAULT-VALUE}).")
  long randomSeed;

  @Mixin ClientOptions client;

  @Option(
      names = "--no-workers",
      description =
          "With --bootstrap-servers: use the trainers and generators already on the cluster.")
  boolean noWorkers;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "0",
      description = "Port of the embedded broker (default: any free port).")
  int port;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Keep the embedded broker's data here (default: a temporary directory, deleted at the end).")
  Path dataDir;

  @Option(names = "--verbose", description = "Show the workers' and Kafka's log lines too.")
  boolean verbose;

  @Override
  protected int run(PrintWriter err) throws InterruptedException {
    long t0 = System.nanoTime();
    if (!verbose) Quiet.apply();
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    boolean external;
    try {
      external = client.clusterGiven();
      if (noWorkers && !external)
        throw new IllegalArgumentException("--no-workers needs --bootstrap-servers");
    } catch (ConfigException | IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
    Path corpus;
    String text;
    try {
      corpus =
          new CorpusSource(CorpusSource.findRoot(), CorpusSource::runScript, out).resolve(textPath);
      text = CorpusUploader.decodeUtf8(Files.readAllBytes(corpus), corpus.toString());
    } catch (DemoException | IllegalArgumentException e) {
      throw new CommandFailed(e.getMessage());
    } catch (IOException e) {
      throw new CommandFailed("cannot read the corpus: " + e);
    }
    DemoPlan plan;
    try {
      plan = plan(corpus, text);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }

    EmbeddedStack stack;
    try {
      stack =
          EmbeddedStack.start(
              new EmbeddedStack.Options(
                  EmbeddedStack.BrokerSettings.unless(external, port, dataDir),
                  !noWorkers,
                  Map.of(TrainerConfig.HTTP_PORT, -1),
                  Map.of(GeneratorConfig.HTTP_PORT, -1, GeneratorConfig.MODEL_DEFAULT_ID, modelId),
                  this::config));
    } catch (BrokerStartException e) {
      throw new CommandFailed(e.getMessage());
    } catch (ConfigException | IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    } catch (RuntimeException e) {
      throw new CommandFailed("could not start: " + e.getMessage());
    }
    AtomicBoolean finished = new AtomicBoolean();
    ShutdownHook hook =
        ShutdownHook.install(
            "demo",
            () -> {
              if (!finished.get())
                System.err.println("\ncharstream demo: interrupted; stopping the stack...");
              stack.close();
            });
    try {
      out.println(header(stack, external));
      Demo.Result r =
          new Demo(stack.clientProps(), stack.topics(), out, ProgressBar.isTerminal())
              .run(plan, text, corpus.toString());
      finished.set(true);
      out.printf(
          Locale.ROOT,
          "demo: trained %s v%d in %.0f s (loss %.3f%s), %d answer(s); stopping the stack...%n",
          r.completed().modelId(),
          r.completed().version(),
          r.completed().durationSeconds(),
          r.completed().trainLoss(),
          r.completed().valLoss() == null
              ? ""
              : String.format(Locale.ROOT, ", val loss %.3f", r.completed().valLoss()),
          r.answers().size());
      return 0;
    } catch (DemoException e) {
      finished.set(true);
      throw new CommandFailed(e.getMessage());
    } catch (RuntimeException e) {
      // A Kafka error the clients could not ride out (a missing topic, an unreachable cluster).
      finished.set(true);
      throw new CommandFailed(e.getClass().getSimpleName() + ": " + e.getMessage());
    } finally {
      finished.set(true);
      stack.close();
      hook.close(); // already shutting down: the hook runs (closing again is a no-op)
      out.printf(Locale.ROOT, "demo: done in %s.%n", minutes((System.nanoTime() - t0) / 1e9));
    }
  }

  private DemoPlan plan(Path corpus, String text) {
    String id = corpusId != null ? corpusId : corpusIdOf(corpus);
    TrainingRequest request;
    try {
      request =
          TrainingRequest.builder(modelId, id)
              .jobId(modelId + "-" + UUID.randomUUID().toString().substring(0, 8))
              .seqLen(seqLen)
              .embeddingSize(embeddingSize)
              .rnnSize(rnnSize)
              .numLayers(numLayers)
              .dropRate(dropRate)
              .learningRate(learningRate)
              .clipNorm(clipNorm)
              .batchSize(batchSize)
              .numEpochs(numEpochs)
              .valFraction(valFraction)
              .vocabulary(vocabulary)
              .seed(randomSeed)
              .restore(false)
              .build();
    } catch (InvalidFieldException e) {
      throw new IllegalArgumentException(
          "--"
              + e.field().replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT)
              + ": "
              + e.getMessage(),
          e);
    }
    List<String> s =
        seeds != null
            ? seeds
            : corpusIdOf(corpus).equals(CorpusSource.DEFAULT_NAME)
                ? SHAKESPEARE_SEEDS
                : SeedPicker.lineStarts(
                    DemoPlan.cut(text, corpusChars),
                    3,
                    randomSeed,
                    request.vocabulary() == VocabularyMode.REFERENCE);
    return new DemoPlan(
        corpusChars,
        request,
        s,
        length,
        topN,
        temperature,
        randomSeed,
        Duration.ofSeconds(60),
        Duration.ofMinutes(5));
  }

  /**
   * {@code data/tinyshakespeare.txt} -> {@code tinyshakespeare}; characters ids may not hold become
   * '-'.
   */
  static String corpusIdOf(Path file) {
    String name =
        file.getFileName()
            .toString()
            .replaceFirst("\\.[^.]*$", "")
            .replaceAll("[^A-Za-z0-9._:-]", "-");
    return name.isEmpty() ? "corpus" : name.length() > 128 ? name.substring(0, 128) : name;
  }

  private String header(EmbeddedStack stack, boolean external) {
    String kafka =
        external
            ? "Kafka cluster " + stack.bootstrapServers()
            : "embedded Kafka broker on "
                + stack.bootstrapServers()
                + (dataDir == null ? " (temporary data)" : " (data in " + dataDir + ")");
    String workers =
        noWorkers
            ? "the cluster's trainers and generators"
            : "a trainer and a generator in this JVM";
    return "charstream demo: "
        + kafka
        + ", topics "
        + stack.topics().prefix()
        + "*, "
        + workers
        + ".";
  }

  private EnvConfig config(ConfigDef def, Map<String, Object> overrides) {
    return client.config(def, null, overrides);
  }

  static String minutes(double seconds) {
    long s = Math.round(seconds);
    return s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + " s";
  }
}
