package io.charstream.app.local;

import io.charstream.app.cli.CliCommand;
import io.charstream.app.cli.Commands;
import io.charstream.app.cli.ConsoleProgress;
import io.charstream.app.cli.RunLog;
import io.charstream.app.cli.ShutdownHook;
import io.charstream.app.cli.TrainingOptions;
import io.charstream.model.Checkpoint;
import io.charstream.model.CorpusReport;
import io.charstream.model.EpochResult;
import io.charstream.model.ModelConfig;
import io.charstream.model.Progress;
import io.charstream.model.SamplingOptions;
import io.charstream.model.SeedText;
import io.charstream.model.TrainingConfig;
import io.charstream.model.TrainingListener;
import io.charstream.model.TrainingResult;
import io.charstream.model.Vocabulary;
import io.charstream.model.generation.GenerationModel;
import io.charstream.model.generation.TextGenerator;
import io.charstream.model.training.CharRnnTrainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code charstream train}: the reference's train command, flags and defaults, plus resumable
 * training.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Train a character-level LSTM model on a text file (the reference's train command).",
      "Each epoch logs its loss and validation loss, saves a checkpoint (with optimizer and RNN state,"
          + " so --restore continues exactly) and prints a short sample."
    })
public final class TrainCommand extends CliCommand {

  @Option(
      names = "--checkpoint-path",
      required = true,
      paramLabel = "PATH",
      description = "path to save or load model checkpoints (required)")
  Path checkpointPath;

  @Option(
      names = "--text-path",
      required = true,
      paramLabel = "FILE",
      description = "path of UTF-8 text file for training (required)")
  Path textPath;

  @Option(
      names = "--restore",
      arity = "0..1",
      fallbackValue = "",
      paramLabel = "PATH",
      description =
          "continue training exactly where the checkpoint at --checkpoint-path (or at PATH, if"
              + " given) stopped: weights, optimizer, RNN state, data position; --num-epochs is the total")
  String restore;

  @Mixin TrainingOptions options;

  @Option(
      names = "--log-path",
      defaultValue = "main.log",
      paramLabel = "PATH",
      description = "path of log file (default: ${DEFAULT-VALUE})")
  Path logPath;

  @Option(
      names = "--random-seed",
      defaultValue = "42",
      description =
          "seed of weight initialisation, dropout and samples (default: ${DEFAULT-VALUE})")
  long randomSeed;

  @Option(
      names = "--checkpoint-every",
      defaultValue = "0",
      paramLabel = "BATCHES",
      description =
          "also save a checkpoint every this many batches inside an epoch (default:"
              + " ${DEFAULT-VALUE} = at epoch ends only)")
  int checkpointEvery;

  @Override
  protected int run(PrintWriter err) throws IOException {
    TrainingConfig training = options.trainingConfig(randomSeed, checkpointEvery);
    String text = Commands.readText(textPath, "--text-path");
    try (RunLog log = RunLog.open(logPath, "train", err)) {
      log.debug(
          "call: charstream "
              + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
      log.info("corpus length: " + text.codePointCount(0, text.length()) + ".");
      CharRnnTrainer trainer;
      Checkpoint restored = null;
      if (restore != null) {
        Path from = restore.isEmpty() ? checkpointPath : Path.of(restore);
        restored = Checkpoint.read(from);
        log.info(
            "restoring model: "
                + from
                + " (epoch "
                + restored.position().epoch()
                + ", batch "
                + restored.position().batch()
                + ", step "
                + restored.position().globalStep()
                + ").");
        warnIgnoredModelFlags(log, restored.modelConfig());
        if (restored.position().epoch() >= training.numEpochs()) {
          log.info(
              "the checkpoint has already trained "
                  + restored.position().epoch()
                  + " epochs and"
                  + " --num-epochs is "
                  + training.numEpochs()
                  + " (the total): nothing to do; raise --num-epochs to train on.");
          return 0;
        }
        trainer = CharRnnTrainer.resume(restored, text, training);
      } else {
        Vocabulary vocab = Vocabulary.forKind(options.vocabulary.json(), text);
        ModelConfig model = options.modelConfig(vocab.size());
        trainer = CharRnnTrainer.start(model, training, vocab, text);
      }
      Checkpoint first = trainer.checkpoint();
      log.info(
          "model: "
              + first.modelConfig()
              + ", "
              + String.format(Locale.ROOT, "%,d", first.modelConfig().parameterCount())
              + " parameters, "
              + first.vocabulary()
              + ".");
      return runTraining(trainer, training, text, log, err);
    }
  }

  private int runTraining(
      CharRnnTrainer trainer, TrainingConfig training, String text, RunLog log, PrintWriter err)
      throws IOException {
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch finished = new CountDownLatch(1);
    // Ctrl-C / SIGTERM: stop after the current batch and save where training stopped.
    ShutdownHook hook =
        ShutdownHook.install(
            "train",
            () -> {
              stop.set(true);
              finished.await(120, TimeUnit.SECONDS);
            });
    ConsoleProgress progress = new ConsoleProgress(err, ConsoleProgress.isTerminal(), 30);
    log.info("start of training.");
    try {
      TrainingResult result = trainer.run(new Listener(log, progress, training), stop::get);
      progress.clear();
      if (result.cancelled()) {
        save(result.checkpoint(), log);
        log.warn(
            "training interrupted at epoch "
                + (result.checkpoint().position().epoch() + 1)
                + ", batch "
                + result.checkpoint().position().batch()
                + "; continue with --restore.");
        return Commands.INTERRUPTED;
      }
      log.info(
          String.format(
              Locale.ROOT, "end of training, duration: %ds.", (long) result.durationSeconds()));
      if (text.codePointCount(0, text.length()) >= 3) {
        SplittableRandom random = new SplittableRandom(training.seed());
        String seed = SeedText.randomSubstring(text, random);
        String generated =
            new TextGenerator(GenerationModel.from(result.checkpoint()))
                .generate(seed, 1024, SamplingOptions.withSeed(random.nextLong()));
        log.info("generating 1024 characters from top 3 choices.");
        log.info("generating with seed: \"" + seed + "\".");
        log.info("generated text: \n" + seed + generated + "\n");
      }
      return 0;
    } finally {
      finished.countDown(); // releases a running hook
      hook.close();
    }
  }

  private void save(Checkpoint checkpoint, RunLog log) {
    try {
      checkpoint.write(checkpointPath);
      log.info("model saved: " + checkpointPath + ".");
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot save the checkpoint to "
              + checkpointPath
              + ": "
              + Commands.describe(e)
              + " (check --checkpoint-path)",
          e);
    }
  }

  private void warnIgnoredModelFlags(RunLog log, ModelConfig fromCheckpoint) {
    for (String flag :
        new String[] {
          "--embedding-size", "--rnn-size", "--num-layers", "--drop-rate", "--vocabulary"
        }) {
      if (options.given(flag)) {
        log.warn(
            flag
                + " is ignored with --restore: the model's shape and vocabulary come from the checkpoint ("
                + fromCheckpoint
                + ").");
      }
    }
  }

  /** Logs like the reference, drives the progress bar, saves each checkpoint. */
  private final class Listener implements TrainingListener {
    private final RunLog log;
    private final ConsoleProgress progress;
    private final TrainingConfig training;

    Listener(RunLog log, ConsoleProgress progress, TrainingConfig training) {
      this.log = log;
      this.progress = progress;
      this.training = training;
    }

    @Override
    public void onCorpusReport(CorpusReport r) {
      if (r.unknownCount() > 0) {
        log.warn(r.unknownSummary(10));
      }
      log.info("number of batches: " + r.stepsPerEpoch() + ".");
      log.info(
          "effective text length: "
              + (long) r.stepsPerEpoch() * training.batchSize() * training.seqLen()
              + ".");
      log.info(
          "validation text length: "
              + r.valChars()
              + " (--val-fraction "
              + training.valFraction()
              + ").");
    }

    @Override
    public void onProgress(Progress p) {
      progress.update(p);
    }

    @Override
    public void onEpochEnd(EpochResult r, Checkpoint checkpoint) {
      progress.clear();
      log.info(r.logLine());
      save(checkpoint, log);
      if (!r.sample().isEmpty()) {
        log.info("sample (seed \"" + r.samplePrompt() + "\"): " + r.samplePrompt() + r.sample());
      }
    }

    @Override
    public void onCheckpoint(Checkpoint checkpoint) {
      progress.clear();
      save(checkpoint, log);
    }
  }
}
