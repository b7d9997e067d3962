package io.charstream.app.bench;

import io.charstream.app.cli.CliCommand;
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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code charstream bench train}: training chars/s of the reference spec after a warm-up. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description =
        "Training speed of the default spec (reference vocabulary, 2 x LSTM 128, batch 64 x 64):"
            + " a few warm-up batches, then a timed run of --batches batches.")
public final class BenchTrainCommand extends CliCommand {

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
      description =
          "untimed warm-up batches at least (default: ${DEFAULT-VALUE}); the warm-up goes on until"
              + " the JIT compilers are quiet, as far as the epoch allows")
  int warmup;

  @Override
  protected int run(PrintWriter err) {
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
    // The warm-up lasts at least --warmup batches and then until the JIT compilers are quiet (the
    // vector kernels run many times slower before C2 compiles them, and C2 competes with the
    // threads for the two cores), as long as the epoch still holds the timed batches.
    int lastWarmup = trainer.stepsPerEpoch() - batches - 1;
    JitWatch jit = new JitWatch();
    long[] marks = new long[6];
    int[] calls = {0};
    int[] timedFrom = {-1};
    trainer.run(
        TrainingListener.NONE,
        () -> {
          int call = calls[0]++;
          long now = System.nanoTime();
          if (timedFrom[0] < 0 && call >= warmup && (jit.quiet(now) || call >= lastWarmup)) {
            timedFrom[0] = call;
            marks[0] = now;
            marks[2] = Machine.processCpuNanos();
            marks[4] = jit.compileMillis();
          }
          if (timedFrom[0] >= 0 && call == timedFrom[0] + batches) {
            marks[1] = now;
            marks[3] = Machine.processCpuNanos();
            marks[5] = jit.compileMillis();
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
    out.put("warmup_batches", timedFrom[0]);
    // Compiler threads' time per second during the timed batches (0.05 or less: a steady state).
    out.put("jit_cores", Math.round((marks[5] - marks[4]) / 1e3 / seconds * 1000) / 1000.0);
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
