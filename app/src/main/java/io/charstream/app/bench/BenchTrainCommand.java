package io.charstream.app.bench;

import io.charstream.app.cli.Commands;
import io.charstream.app.cli.JsonOut;
import io.charstream.app.cli.NativeTuning;
import io.charstream.app.cli.UserError;
import io.charstream.model.ModelConfig;
import io.charstream.model.TrainingConfig;
import io.charstream.model.TrainingListener;
import io.charstream.model.Vocabulary;
import io.charstream.model.training.CharRnnTrainer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code charstream bench train}: training chars/s of the reference spec after a warm-up. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description =
        "Training speed of the default spec (reference vocabulary, 2 x LSTM 128, batch 64 x 64):"
            + " a few warm-up batches, then a timed run of --batches batches.")
public final class BenchTrainCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--text-path",
      required = true,
      paramLabel = "FILE",
      description = "UTF-8 training text")
  Path textPath;

  @Option(
      names = "--batches",
      defaultValue = "40",
      description = "timed batches (default: ${DEFAULT-VALUE})")
  int batches;

  @Option(
      names = "--warmup",
      defaultValue = "8",
      description = "untimed warm-up batches (default: ${DEFAULT-VALUE})")
  int warmup;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    return Commands.run("bench train", err, this::bench);
  }

  private int bench() {
    if (batches < 1 || warmup < 0) {
      throw new UserError("--batches must be >= 1 and --warmup >= 0");
    }
    String text = Commands.readText(textPath, "--text-path");
    Vocabulary vocabulary = Vocabulary.reference();
    TrainingConfig training =
        TrainingConfig.builder().numEpochs(1_000).valFraction(0.0).seed(1L).build();
    CharRnnTrainer trainer =
        CharRnnTrainer.start(ModelConfig.defaults(vocabulary.size()), training, vocabulary, text);
    if (trainer.stepsPerEpoch() <= warmup + batches) {
      throw new UserError(
          "the text gives "
              + trainer.stepsPerEpoch()
              + " batches per epoch; the benchmark needs"
              + " more than --warmup + --batches = "
              + (warmup + batches)
              + ": use a longer text");
    }
    // The cancel check runs before each batch: it marks the start and end of the timed batches.
    long[] marks = new long[4];
    int[] calls = {0};
    trainer.run(
        TrainingListener.NONE,
        () -> {
          int call = calls[0]++;
          if (call == warmup) {
            marks[0] = System.nanoTime();
            marks[2] = Machine.processCpuNanos();
          }
          if (call == warmup + batches) {
            marks[1] = System.nanoTime();
            marks[3] = Machine.processCpuNanos();
            return true;
          }
          return false;
        });
    double seconds = (marks[1] - marks[0]) / 1e9;
    double cpuSeconds = (marks[3] - marks[2]) / 1e9;
    long chars = (long) batches * training.batchSize() * training.seqLen();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("benchmark", "train");
    out.put("train_chars_per_s", Math.round(chars / seconds));
    // Per CPU-second of this process: less sensitive than wall time to other work on the machine.
    out.put("train_chars_per_cpu_s", Math.round(chars / cpuSeconds));
    out.put("batches", batches);
    out.put("warmup_batches", warmup);
    out.put("seconds", Math.round(seconds * 1000) / 1000.0);
    out.put("batch_size", training.batchSize());
    out.put("seq_len", training.seqLen());
    out.put("parameters", ModelConfig.defaults(vocabulary.size()).parameterCount());
    out.put("native_build", Machine.nativeBuild());
    out.putAll(NativeTuning.describe());
    out.putAll(Machine.memory());
    out.put("load_average_1m", Machine.loadAverage());
    spec.commandLine().getOut().println(JsonOut.line(out));
    return 0;
  }
}
