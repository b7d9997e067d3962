package io.charstream.app.client;

import io.charstream.app.cli.ClientOptions;
import io.charstream.app.cli.CommandFailed;
import io.charstream.app.cli.Commands;
import io.charstream.app.cli.UserError;
import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import io.charstream.schemas.message.Priority;
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
      names = "--timeout-ms",
      paramLabel = "MS",
      description =
          "Deadline for the generator, from when the request is sent: still queued then, it is"
              + " answered deadline-exceeded; running, it ends with the text so far.")
  Long timeoutMs;

  @Option(
      names = "--priority",
      paramLabel = "P",
      description = "interactive (default) or batch: batch requests start after interactive ones.")
  String priority;

  @Option(
      names = "-n",
      paramLabel = "N",
      description = "Samples of the prompt (default 1); each is printed, the first as the text.")
  Integer n;

  @Option(
      names = "--logprobs",
      paramLabel = "K",
      description =
          "0..5: print each generated character's log-probability and its K most probable"
              + " alternatives (to stderr).")
  Integer logprobs;

  @Option(
      names = "--cancel-after",
      paramLabel = "MS",
      description =
          "Cancel the request after this many milliseconds (a tombstone on the requests topic) and"
              + " print what was generated until then.")
  Long cancelAfterMs;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "120",
      description = "Give up after (default ${DEFAULT-VALUE}).")
  long timeoutSeconds;

  /** A character as one visible token ("\\n" for a newline). */
  private static String printable(String c) {
    return c.replace("\n", "\\n").replace("\t", "\\t").replace(" ", "\u2423");
  }

  private static Priority priority(String value) {
    if (value == null) {
      return null;
    }
    for (Priority p : Priority.values()) {
      if (p.json().equals(value)) {
        return p;
      }
    }
    throw new UserError("--priority must be interactive or batch, got '" + value + "'");
  }

  @Override
  public Integer call() {
    return Commands.run("prompt", spec.commandLine().getErr(), this::prompt);
  }

  private int prompt() {
    EnvConfig config = kafka.config();
    GenerateRequest request;
    try {
      request =
          GenerateRequest.builder(
                  requestId == null ? UUID.randomUUID().toString() : requestId, seed)
              .length(length)
              .topN(topN)
              .temperature(temperature)
              .randomSeed(randomSeed)
              .model(modelId, modelVersion)
              .stop(stop)
              .stream(stream)
              .timeoutMs(timeoutMs)
              .priority(priority(priority))
              .n(n)
              .logprobs(logprobs)
              .build();
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
      if (cancelAfterMs != null) {
        if (cancelAfterMs < 0) {
          throw new UserError("--cancel-after must not be negative, got " + cancelAfterMs);
        }
        String id = request.requestId();
        Thread canceller =
            new Thread(
                () -> {
                  try {
                    Thread.sleep(cancelAfterMs);
                    client.cancel(id); // a no-op on the generator if it answered already
                  } catch (InterruptedException | RuntimeException e) {
                    // answered (or closed) first: nothing to cancel
                  }
                },
                "prompt-cancel");
        canceller.setDaemon(true);
        canceller.start();
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
      if (r.choices() != null) {
        for (GenerateResponse.Choice c : r.choices().subList(1, r.choices().size())) {
          out.printf(
              Locale.ROOT,
              "--- sample %d (%s) ---%n%s%s%n",
              c.index(),
              c.finishReason().name().toLowerCase(Locale.ROOT),
              seed,
              c.text());
        }
      }
      if (r.logprobs() != null) {
        for (GenerateResponse.CharLogprob lp : r.logprobs()) {
          StringBuilder top = new StringBuilder();
          for (GenerateResponse.Alternative a : lp.top()) {
            top.append(String.format(Locale.ROOT, " %s %.3f", printable(a.text()), a.logprob()));
          }
          System.err.printf(Locale.ROOT, "%s %.3f |%s%n", printable(lp.text()), lp.logprob(), top);
        }
      }
      GenerateResponse.Timings t = r.timings();
      System.err.printf(
          Locale.ROOT,
          "[%s v%s, finish %s, %d chars, first char %.0f ms, total %.0f ms, %.0f chars/s]%n",
          r.modelId(),
          r.modelVersion(),
          r.finishReason().name().toLowerCase(Locale.ROOT),
          r.text().length(),
          t == null || t.timeToFirstCharMs() == null ? Double.NaN : t.timeToFirstCharMs(),
          t == null ? Double.NaN : t.totalMs(),
          t == null ? Double.NaN : t.charsPerSecond());
      return 0;
    } catch (TimeoutException e) {
      throw new CommandFailed(e.getMessage(), e);
    }
  }
}
