package io.charstream.app.local;

import io.charstream.app.cli.CliCommand;
import io.charstream.app.cli.Commands;
import io.charstream.app.cli.RunLog;
import io.charstream.app.cli.UserError;
import io.charstream.model.Checkpoint;
import io.charstream.model.SamplingOptions;
import io.charstream.model.SeedText;
import io.charstream.model.generation.GenerationModel;
import io.charstream.model.generation.TextGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code charstream generate}: the reference's generate command, plus temperature and a random
 * seed.
 */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Generate text from a trained model (the reference's generate command).",
      "Prints the seed followed by the generated characters on stdout; log lines go to stderr and"
          + " --log-path."
    })
public final class GenerateCommand extends CliCommand {

  @Option(
      names = "--checkpoint-path",
      required = true,
      paramLabel = "PATH",
      description = "path to load model checkpoints (required)")
  Path checkpointPath;

  @ArgGroup(exclusive = true, multiplicity = "1")
  SeedSource seedSource;

  /** Exactly one of --text-path and --seed, as in the reference. */
  static final class SeedSource {
    @Option(
        names = "--text-path",
        paramLabel = "FILE",
        description = "path of text file to generate seed (a random substring of 2-32 characters)")
    Path textPath;

    @Option(names = "--seed", paramLabel = "TEXT", description = "seed character sequence")
    String seed;
  }

  @Option(
      names = "--length",
      defaultValue = "1024",
      description = "length of character sequence to generate (default: ${DEFAULT-VALUE})")
  int length;

  @Option(
      names = "--top-n",
      defaultValue = "3",
      description = "number of top choices to sample (default: ${DEFAULT-VALUE})")
  int topN;

  @Option(
      names = "--log-path",
      defaultValue = "main.log",
      paramLabel = "PATH",
      description = "path of log file (default: ${DEFAULT-VALUE})")
  Path logPath;

  @Option(
      names = "--temperature",
      defaultValue = "1.0",
      description =
          "divides the logits before sampling: below 1 is more conservative, above 1 more"
              + " varied (default: ${DEFAULT-VALUE})")
  double temperature;

  @Option(
      names = "--random-seed",
      paramLabel = "N",
      description =
          "seed of the seed-text choice and of sampling; the same seed gives the same text"
              + " (default: a fresh one, logged)")
  Long randomSeed;

  /** The most characters one call generates (about 100 s at batch 1). */
  static final int MAX_LENGTH = 10_000_000;

  @Override
  protected int run(PrintWriter err) throws IOException {
    if (length < 0 || length > MAX_LENGTH) {
      throw new UserError("--length must be in [0, " + MAX_LENGTH + "], got " + length);
    }
    if (topN < 1) {
      throw new UserError("--top-n must be at least 1, got " + topN);
    }
    if (!(temperature > 0 && temperature <= 100)) {
      throw new UserError("--temperature must be in (0, 100], got " + temperature);
    }
    long seedValue = randomSeed != null ? randomSeed : new SplittableRandom().nextLong();
    SplittableRandom random = new SplittableRandom(seedValue);
    String seed = seedSource.seed;
    String fromFile = null;
    if (seed == null) {
      String text = Commands.readText(seedSource.textPath, "--text-path");
      if (text.codePointCount(0, text.length()) < 3) {
        throw new UserError(
            seedSource.textPath + " has fewer than 3 characters: --text-path needs a longer text");
      }
      seed = SeedText.randomSubstring(text, random);
      fromFile = seedSource.textPath.toString();
    }
    if (seed.isEmpty()) {
      throw new UserError("--seed is empty: give at least one character");
    }
    try (RunLog log = RunLog.open(logPath, "generate", err)) {
      log.debug(
          "call: charstream "
              + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
      Checkpoint checkpoint = Checkpoint.read(checkpointPath);
      GenerationModel model = GenerationModel.from(checkpoint);
      log.info("model loaded: " + checkpointPath + ".");
      if (fromFile != null) {
        log.info("seed sequence generated from " + fromFile + ".");
      }
      long unknown = model.vocabulary().encode(seed).unknownCount();
      if (unknown > 0) {
        log.warn(
            unknown
                + " seed characters are outside the model's vocabulary and are fed as unknown.");
      }
      SamplingOptions options = new SamplingOptions(topN, temperature, random.nextLong());
      log.info(
          "generating "
              + length
              + " characters from top "
              + topN
              + " choices"
              + (temperature == 1.0 ? "" : ", temperature " + temperature)
              + ", random seed "
              + seedValue
              + ".");
      log.info("generating with seed: \"" + seed + "\".");
      long start = System.nanoTime();
      String generated = new TextGenerator(model).generate(seed, length, options);
      double seconds = (System.nanoTime() - start) / 1e9;
      PrintWriter out = spec.commandLine().getOut();
      out.println(seed + generated);
      out.flush();
      log.debug("generated text: \n" + seed + generated + "\n");
      log.info(
          String.format(
              Locale.ROOT,
              "generated %d characters in %.3fs (%,.0f chars/s).",
              length,
              seconds,
              length / Math.max(seconds, 1e-9)));
      return 0;
    }
  }
}
