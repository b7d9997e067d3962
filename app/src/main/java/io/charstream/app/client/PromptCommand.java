package io.charstream.app.client;

import io.charstream.app.cli.ClientOptions;
import io.charstream.app.cli.CommandFailed;
import io.charstream.app.cli.Commands;
import io.charstream.app.cli.UserError;
import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code charstream prompt}: publishes one generate request and prints the answer. */
@Command(
    name = "prompt",
    mixinStandardHelpOptions = true,
    description =
        "Send a seed prompt to the generators over Kafka and print the seed and the generated text.")
public final class PromptCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ClientOptions kafka;

  @Option(
      names = "--seed",
      required = true,
      paramLabel = "TEXT",
      description = "The seed text to continue.")
  String seed;

  @Option(
      names = "--length",
      paramLabel = "N",
      description = "Characters to generate (default 1024).")
  Integer length;

  @Option(
      names = "--top-n",
      paramLabel = "N",
      description = "Sample among the N most probable characters (default 3).")
  Integer topN;

  @Option(
      names = "--temperature",
      paramLabel = "T",
      description = "Softmax temperature (default 1.0).")
  Double temperature;

  @Option(
      names = "--random-seed",
      paramLabel = "N",
      description = "Same seed + model + options = same text.")
  Long randomSeed;

  @Option(
      names = "--model-id",
      paramLabel = "ID",
      description = "Model to use (default: the generator's default).")
  String modelId;

  @Option(
      names = "--model-version",
      paramLabel = "V",
      description = "Pin a model version (default: latest).")
  Long modelVersion;

  @Option(
      names = "--stop",
      paramLabel = "TEXT",
      description = "Stop before this string (repeatable).")
  List<String> stop;

  @Option(names = "--stream", description = "Print the text as it is generated.")
  boolean stream;

  @Option(
      names = "--request-id",
      paramLabel = "ID",
      description = "Request id (default: a random UUID).")
  String requestId;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "120",
      description = "Give up after (default ${DEFAULT-VALUE}).")
  long timeoutSeconds;

  @Override
  public Integer call() {
    return Commands.run("prompt", spec.commandLine().getErr(), this::prompt);
  }

  private int prompt() {
    EnvConfig config = kafka.config();
    GenerateRequest request;
    try {
      request =
          new GenerateRequest(
              GenerateRequest.SCHEMA_VERSION,
              requestId == null ? UUID.randomUUID().toString() : requestId,
              seed,
              length,
              topN,
              temperature,
              randomSeed,
              modelId,
              modelVersion,
              stop,
              stream);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage(), e);
    }
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    try (PromptClient client =
        new PromptClient(config.kafkaClientProps(), CommonKeys.topics(config))) {
      StringBuilder streamed = new StringBuilder();
      if (stream) {
        out.print(seed);
      }
      GenerateResponse r =
          client.call(
              request,
              chunk -> {
                out.print(chunk);
                streamed.append(chunk);
              },
              Duration.ofSeconds(timeoutSeconds));
      if (r.finishReason() == GenerateResponse.FinishReason.ERROR) {
        throw new CommandFailed(
            "request "
                + r.requestId()
                + " failed ("
                + r.error().kind()
                + "): "
                + r.error().message());
      }
      if (stream) {
        // The final record holds the whole text; print whatever the chunks did not.
        out.println(
            r.text().startsWith(streamed.toString()) ? r.text().substring(streamed.length()) : "");
      } else {
        out.println(seed + r.text());
      }
      GenerateResponse.Timings t = r.timings();
      System.err.printf(
          Locale.ROOT,
          "[%s v%d, finish %s, %d chars, first char %.0f ms, total %.0f ms, %.0f chars/s]%n",
          r.modelId(),
          r.modelVersion(),
          r.finishReason().name().toLowerCase(Locale.ROOT),
          r.text().length(),
          t.timeToFirstCharMs() == null ? Double.NaN : t.timeToFirstCharMs(),
          t.totalMs(),
          t.charsPerSecond());
      return 0;
    } catch (TimeoutException e) {
      throw new CommandFailed(e.getMessage(), e);
    }
  }
}
