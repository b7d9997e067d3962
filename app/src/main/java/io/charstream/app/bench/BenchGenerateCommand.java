package io.charstream.app.bench;

import io.charstream.app.cli.CliCommand;
import io.charstream.app.cli.Commands;
import io.charstream.app.cli.JsonOut;
import io.charstream.app.cli.NativeTuning;
import io.charstream.app.cli.UserError;
import io.charstream.model.Checkpoint;
import io.charstream.model.ModelConfig;
import io.charstream.model.SamplingOptions;
import io.charstream.model.SeedText;
import io.charstream.model.TrainingConfig;
import io.charstream.model.Vocabulary;
import io.charstream.model.generation.GenerationModel;
import io.charstream.model.generation.TextGenerator;
import io.charstream.model.kernel.FusedRuntime;
import io.charstream.model.training.CharRnnTrainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code charstream bench generate}: generation chars/s at batch 1 and batch 64. */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description =
        "Generation speed (the fused generation step) at batch 1 and batch 64, prompts drawn from"
            + " the text; a checkpoint's weights or, without one, a freshly initialised default-spec model.")
public final class BenchGenerateCommand extends CliCommand {

  @Option(
      names = "--text-path",
      required = true,
      paramLabel = "FILE",
      description = "UTF-8 text for the prompts")
  Path textPath;

  @Option(
      names = "--checkpoint-path",
      paramLabel = "PATH",
      description = "weights to use (default: fresh)")
  Path checkpointPath;

  @Option(
      names = "--length",
      defaultValue = "1024",
      description = "characters per prompt (default: ${DEFAULT-VALUE})")
  int length;

  @Override
  protected int run(PrintWriter err) throws IOException {
    if (length < 1) {
      throw new UserError("--length must be at least 1, got " + length);
    }
    String text = Commands.readText(textPath, "--text-path");
    Checkpoint checkpoint =
        checkpointPath != null
            ? Checkpoint.read(checkpointPath)
            : CharRnnTrainer.start(
                    ModelConfig.defaults(Vocabulary.reference().size()),
                    TrainingConfig.defaults(),
                    Vocabulary.reference(),
                    text)
                .checkpoint();
    GenerationModel model = GenerationModel.from(checkpoint);
    TextGenerator generator = new TextGenerator(model);
    SplittableRandom random = new SplittableRandom(1);
    List<String> prompts = new ArrayList<>();
    List<SamplingOptions> options = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      prompts.add(SeedText.randomSubstring(text, random));
      options.add(SamplingOptions.withSeed(i));
    }
    // Warm-up: let the JIT compile the step loops at both batch sizes.
    generator.generateAll(prompts, 256, options);
    generator.generate(prompts.get(0), 2048, options.get(0));

    // Process CPU time: a batch of 64 steps its slots on FusedRuntime.threads() threads.
    long c0 = Machine.processCpuNanos();
    long t0 = System.nanoTime();
    generator.generate(prompts.get(0), length, options.get(0));
    double one = (System.nanoTime() - t0) / 1e9;
    long c1 = Machine.processCpuNanos();
    long t1 = System.nanoTime();
    generator.generateAll(prompts, length, options);
    double many = (System.nanoTime() - t1) / 1e9;
    long c2 = Machine.processCpuNanos();

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("benchmark", "generate");
    out.put("generate_chars_per_s_batch1", Math.round(length / one));
    out.put("generate_chars_per_s_batch64", Math.round(64L * length / many));
    // Per CPU-second of the process: less sensitive than wall time to other work.
    // A run shorter than the CPU clock's tick reads 0 ns: no figure (null) rather than infinity.
    out.put("generate_chars_per_cpu_s_batch1", perCpuSecond(length, c1 - c0));
    out.put("generate_chars_per_cpu_s_batch64", perCpuSecond(64L * length, c2 - c1));
    out.put("seconds_batch1", Math.round(one * 1000) / 1000.0);
    out.put("seconds_batch64", Math.round(many * 1000) / 1000.0);
    out.put("length", length);
    out.put("weights", checkpointPath == null ? "fresh" : checkpointPath.toString());
    out.put("threads", FusedRuntime.threads());
    out.put("kernel", model.kernel());
    out.putAll(NativeTuning.describe());
    out.putAll(Machine.memory());
    out.put("load_average_1m", Machine.loadAverage());
    spec.commandLine().getOut().println(JsonOut.line(out));
    return 0;
  }

  private static Long perCpuSecond(long chars, long cpuNanos) {
    return cpuNanos > 0 ? Math.round(chars / (cpuNanos / 1e9)) : null;
  }
}
