package io.charstream.app.bench;

import io.charstream.app.broker.EmbeddedBroker;
import io.charstream.app.cli.CliCommand;
import io.charstream.app.cli.UserError;
import io.charstream.app.client.ModelPublisher;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.generator.SyntheticCheckpoints;
import io.charstream.model.Checkpoint;
import io.charstream.model.ModelConfig;
import io.charstream.model.Vocabulary;
import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Json;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code charstream bench soak}: an embedded broker, N generator instances in this JVM and a fixed
 * number of requests under sustained load, every request and response counted by requestId (read
 * committed). Prints one JSON object: throughput over time (is it held?), latency percentiles, and
 * lost and duplicated requests, which must both be 0; exits 1 when they are not. {@code --kill-at}
 * kills one instance (as a crash would) part-way and starts a replacement, so the count covers a
 * failover too.
 */
@Command(
    name = "soak",
    mixinStandardHelpOptions = true,
    description = {
      "Sustained-load test: embedded broker + generator instances + a counted load; prints JSON.",
      "Exits 1 if any request was lost or answered twice."
    })
public final class BenchSoakCommand extends CliCommand {

  @Option(
      names = "--requests",
      defaultValue = "20000",
      description = "Requests to send (default ${DEFAULT-VALUE}).")
  int requests;

  @Option(
      names = "--length",
      defaultValue = "32",
      description = "Characters per request (default ${DEFAULT-VALUE}).")
  int length;

  @Option(
      names = "--prompt",
      defaultValue = "KING RICHARD",
      description = "Prompt of every request.")
  String prompt;

  @Option(
      names = "--instances",
      defaultValue = "2",
      description = "Generator instances (default ${DEFAULT-VALUE}).")
  int instances;

  @Option(
      names = "--batch-capacity",
      defaultValue = "64",
      description = "Slots per instance (default ${DEFAULT-VALUE}).")
  int capacity;

  @Option(
      names = "--concurrency",
      defaultValue = "128",
      description = "Requests kept outstanding (default ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(
      names = "--kill-at",
      defaultValue = "0",
      paramLabel = "FRACTION",
      description =
          "Kill one instance once this fraction of requests is answered, start a new one (0 = never).")
  double killAt;

  @Option(
      names = "--window-seconds",
      defaultValue = "10",
      description = "Throughput window (default ${DEFAULT-VALUE}).")
  int windowSeconds;

  @Option(
      names = "--timeout-seconds",
      defaultValue = "3600",
      description = "Give up after (default ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Option(
      names = "--checkpoint-path",
      paramLabel = "FILE",
      description =
          "Model to serve (default: the reference spec with seeded random weights: the same cost).")
  Path checkpointPath;

  @Override
  protected int run(PrintWriter err) throws Exception {
    if (requests < 1
        || length < 1
        || instances < 1
        || capacity < 1
        || concurrency < 1
        || windowSeconds < 1
        || !(killAt >= 0 && killAt < 1)) {
      throw new UserError(
          "--requests, --length, --instances, --batch-capacity, --concurrency"
              + " and --window-seconds must be >= 1, --kill-at in [0, 1)");
    }
    Checkpoint checkpoint =
        checkpointPath != null
            ? Checkpoint.read(checkpointPath)
            : SyntheticCheckpoints.of(ModelConfig.defaults(Vocabulary.reference().size()), 42L);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("benchmark", "soak");
    out.put(
        "model",
        checkpointPath != null
            ? checkpointPath.toString()
            : "synthetic reference spec (random weights)");
    out.put("parameters", checkpoint.modelConfig().parameterCount());
    out.put("requests", requests);
    out.put("length", length);
    out.put("prompt_chars", prompt.length());
    out.put("instances", instances);
    out.put("batch_capacity", capacity);
    out.put("concurrency", concurrency);
    out.put("cpus", Runtime.getRuntime().availableProcessors());
    List<GeneratorService> services = new ArrayList<>();
    try (EmbeddedBroker broker = EmbeddedBroker.start(EmbeddedBroker.Options.ephemeral())) {
      Topics topics = new Topics("soak.");
      broker.createTopics(topics);
      Map<String, Object> kafka = Map.of("bootstrap.servers", broker.bootstrapServers());
      ModelPublisher.publish(kafka, topics, "soak", 1, checkpoint);
      for (int i = 0; i < instances; i++) {
        services.add(start(broker, topics, "soak-" + i));
      }
      for (GeneratorService s : services) {
        if (!s.awaitReady(Duration.ofSeconds(120))) {
          throw new IllegalStateException(
              "generator " + s.instanceId() + " not ready: " + s.readiness().reason());
        }
      }
      try (SoakLoad load = new SoakLoad(kafka, topics)) {
        load.run(
            "warmup",
            Math.min(requests, 200),
            concurrency,
            length,
            prompt,
            Duration.ofSeconds(windowSeconds),
            Duration.ofMinutes(10),
            Duration.ZERO,
            n -> {});
        int killWhen = killAt > 0 ? (int) Math.ceil(killAt * requests) : Integer.MAX_VALUE;
        Map<String, Object> killed = new LinkedHashMap<>();
        SoakLoad.Report r =
            load.run(
                "soak",
                requests,
                concurrency,
                length,
                prompt,
                Duration.ofSeconds(windowSeconds),
                Duration.ofSeconds(timeoutSeconds),
                Duration.ofSeconds(3),
                answered -> {
                  if (answered >= killWhen && killed.isEmpty()) {
                    GeneratorService victim = services.get(0);
                    victim.kill();
                    killed.put("instance", victim.instanceId());
                    killed.put("at_answered", answered);
                    services.add(start(broker, topics, "soak-replacement"));
                  }
                });
        report(out, r);
        if (!killed.isEmpty()) out.put("killed", killed);
      }
    } finally {
      services.forEach(GeneratorService::close);
    }
    out.putAll(Machine.memory());
    System.out.println(Json.writeString(out));
    return (int) out.get("lost") == 0 && (int) out.get("duplicated") == 0 ? 0 : 1;
  }

  private GeneratorService start(EmbeddedBroker broker, Topics topics, String instance) {
    // With --kill-at the group must notice the dead instance in seconds, not the default 45 s.
    Map<String, String> env =
        killAt > 0
            ? Map.of(
                "CHARSTREAM_KAFKA_SESSION_TIMEOUT_MS",
                "6000",
                "CHARSTREAM_KAFKA_HEARTBEAT_INTERVAL_MS",
                "1000",
                "CHARSTREAM_KAFKA_TRANSACTION_TIMEOUT_MS",
                "5000")
            : Map.of();
    try {
      return GeneratorService.start(
          GeneratorConfig.of(
              Map.of(
                  "bootstrap.servers",
                  broker.bootstrapServers(),
                  "topic.prefix",
                  topics.prefix(),
                  GeneratorConfig.GROUP_ID,
                  "soak",
                  GeneratorConfig.INSTANCE_ID,
                  instance,
                  GeneratorConfig.BATCH_CAPACITY,
                  capacity,
                  GeneratorConfig.QUEUE_CAPACITY,
                  Math.max(capacity, concurrency),
                  GeneratorConfig.HTTP_PORT,
                  -1,
                  GeneratorConfig.MODEL_DEFAULT_ID,
                  "soak"),
              env));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private void report(Map<String, Object> out, SoakLoad.Report r) {
    out.put("sent", r.sent());
    out.put("answered", r.answered());
    out.put("errors", r.errors());
    out.put("lost", r.lost());
    out.put("duplicated", r.duplicated());
    out.put("seconds", round(r.seconds()));
    out.put("requests_per_s", round(r.answered() / r.seconds()));
    out.put("generated_chars_per_s", round(r.chars() / r.seconds()));
    out.put("latency_ms_p50", round(r.latencyMs().percentileMs(50)));
    out.put("latency_ms_p95", round(r.latencyMs().percentileMs(95)));
    out.put("latency_ms_p99", round(r.latencyMs().percentileMs(99)));
    out.put("latency_ms_max", round(r.latencyMs().percentileMs(100)));
    // Throughput held: the slowest full window against the mean, leaving out the first (warming
    // up).
    List<Double> w = r.windowRequestsPerSecond();
    List<Double> inner = w.size() > 2 ? w.subList(1, w.size()) : w;
    double mean = inner.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    double min = inner.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    out.put("window_seconds", windowSeconds);
    out.put("window_requests_per_s", w.stream().map(BenchSoakCommand::round).toList());
    out.put("window_requests_per_s_min", round(min));
    out.put("window_requests_per_s_mean", round(mean));
    out.put("throughput_held", round(min / mean));
  }

  private static double round(double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? v : Math.round(v * 100) / 100.0;
  }
}
