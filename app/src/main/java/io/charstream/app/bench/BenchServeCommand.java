package io.charstream.app.bench;

import io.charstream.app.broker.EmbeddedBroker;
import io.charstream.app.client.ModelPublisher;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.generator.SyntheticCheckpoints;
import io.charstream.model.Checkpoint;
import io.charstream.model.ModelConfig;
import io.charstream.model.TrainingConfig;
import io.charstream.model.TrainingListener;
import io.charstream.model.Vocabulary;
import io.charstream.model.training.CharRnnTrainer;
import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code charstream bench serve}: an embedded broker, one model, N generator instances in this JVM
 * and a closed-loop load generator; prints one JSON object with a row per (batch capacity,
 * instances, concurrency): requests/s, chars/s, latency and time-to-first-char percentiles, batch
 * occupancy. Batching off (capacity 1) runs in the same process for comparison.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description =
        "Benchmark serving: embedded broker + generator instances + load generator; prints JSON.")
public final class BenchServeCommand implements Callable<Integer> {

  @Option(names = "--checkpoint-path", paramLabel = "FILE", description = "Model to serve.")
  Path checkpointPath;

  @Option(
      names = "--text-path",
      paramLabel = "FILE",
      description =
          "Without --checkpoint-path: train the default spec on this text for --train-batches batches first."
              + " Without either, the default spec with seeded random weights (noise text, the same cost per character).")
  Path textPath;

  @Option(
      names = "--train-batches",
      defaultValue = "30",
      description = "Batches of the quick training (default ${DEFAULT-VALUE}).")
  int trainBatches;

  @Option(
      names = "--instances",
      split = ",",
      defaultValue = "1,2",
      description = "Generator instances per run (default ${DEFAULT-VALUE}).")
  List<Integer> instances;

  @Option(
      names = "--concurrency",
      split = ",",
      defaultValue = "4,32",
      description = "Outstanding requests kept by the load generator (default ${DEFAULT-VALUE}).")
  List<Integer> concurrency;

  @Option(
      names = "--batch-capacity",
      defaultValue = "64",
      description = "Slots per instance when batching (default ${DEFAULT-VALUE}).")
  int capacity;

  @Option(
      names = "--requests",
      defaultValue = "96",
      description = "Requests per run (default ${DEFAULT-VALUE}).")
  int requests;

  @Option(
      names = "--length",
      defaultValue = "256",
      description = "Characters per request (default ${DEFAULT-VALUE}).")
  int length;

  @Option(
      names = "--prompt",
      defaultValue = "KING RICHARD",
      description = "Prompt of every request.")
  String prompt;

  @Override
  public Integer call() throws Exception {
    Checkpoint checkpoint = model();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("benchmark", "serve");
    out.put(
        "model",
        checkpointPath != null
            ? checkpointPath.toString()
            : textPath != null
                ? "default spec trained " + trainBatches + " batches on " + textPath
                : "default spec, random weights");
    out.put("parameters", checkpoint.modelConfig().parameterCount());
    out.put("requests_per_run", requests);
    out.put("length", length);
    out.put("cpus", Runtime.getRuntime().availableProcessors());
    List<Map<String, Object>> runs = new ArrayList<>();
    long t0 = System.nanoTime();
    try (EmbeddedBroker broker = EmbeddedBroker.start(EmbeddedBroker.Options.ephemeral())) {
      Map<String, Object> kafka = Map.of("bootstrap.servers", broker.bootstrapServers());
      int run = 0;
      for (int cap : List.of(capacity, 1)) {
        for (int n : instances) {
          if (cap == 1 && n > 1) {
            continue; // batching off: one instance is the comparison the issue asks for
          }
          for (int k : concurrency) {
            runs.add(runOnce(broker, kafka, checkpoint, "b" + run++, cap, n, k));
            System.err.println("bench serve: " + Json.writeString(runs.get(runs.size() - 1)));
          }
        }
      }
    }
    out.put("runs", runs);
    out.put("total_seconds", Math.round((System.nanoTime() - t0) / 1e7) / 100.0);
    System.out.println(Json.writeString(out));
    return 0;
  }

  private Checkpoint model() throws IOException {
    if (checkpointPath != null) {
      return Checkpoint.read(checkpointPath);
    }
    ModelConfig spec = ModelConfig.defaults(Vocabulary.reference().size());
    if (textPath == null) {
      return SyntheticCheckpoints.of(spec, 42L);
    }
    String text = Files.readString(textPath, StandardCharsets.UTF_8);
    CharRnnTrainer trainer =
        CharRnnTrainer.start(
            spec, TrainingConfig.defaults().withNumEpochs(1), Vocabulary.reference(), text);
    AtomicInteger batches = new AtomicInteger();
    long t0 = System.nanoTime();
    trainer.run(
        new TrainingListener() {},
        () -> batches.incrementAndGet() > trainBatches); // checked between batches
    System.err.printf(
        "bench serve: trained %d batches in %.1f s%n",
        trainBatches, (System.nanoTime() - t0) / 1e9);
    return trainer.checkpoint().withoutTrainingState();
  }

  private Map<String, Object> runOnce(
      EmbeddedBroker broker,
      Map<String, Object> kafka,
      Checkpoint checkpoint,
      String runId,
      int cap,
      int n,
      int k)
      throws Exception {
    Topics topics = new Topics("bench-" + runId + ".");
    broker.createTopics(topics);
    ModelPublisher.publish(kafka, topics, "bench", 1, checkpoint);
    List<GeneratorService> services = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        services.add(
            GeneratorService.start(
                GeneratorConfig.of(
                    Map.of(
                        "bootstrap.servers",
                        broker.bootstrapServers(),
                        "topic.prefix",
                        topics.prefix(),
                        GeneratorConfig.GROUP_ID,
                        "bench-" + runId,
                        GeneratorConfig.INSTANCE_ID,
                        runId + "-" + i,
                        GeneratorConfig.BATCH_CAPACITY,
                        cap,
                        GeneratorConfig.QUEUE_CAPACITY,
                        Math.max(cap, k),
                        GeneratorConfig.HTTP_PORT,
                        -1,
                        GeneratorConfig.MODEL_DEFAULT_ID,
                        "bench"),
                    Map.of())));
      }
      for (GeneratorService s : services) {
        if (!s.awaitReady(Duration.ofSeconds(120))) {
          throw new IllegalStateException(
              "generator " + s.instanceId() + " not ready: " + s.readiness().reason());
        }
      }
      try (LoadGenerator load = new LoadGenerator(kafka, topics)) {
        load.run(
            runId + "-warmup",
            Math.min(k, 8),
            k,
            Math.min(length, 64),
            prompt,
            Duration.ofMinutes(5));
        LoadGenerator.Result r =
            load.run(runId, requests, k, length, prompt, Duration.ofMinutes(10));
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("batch_capacity", cap);
        row.put("instances", n);
        row.put("concurrency", k);
        row.put("requests_per_s", round(r.requestsPerSecond()));
        row.put("generated_chars_per_s", round(r.charsPerSecond()));
        row.put("latency_ms_p50", round(LoadGenerator.Result.percentile(r.latencyMs(), 0.50)));
        row.put("latency_ms_p95", round(LoadGenerator.Result.percentile(r.latencyMs(), 0.95)));
        row.put("latency_ms_p99", round(LoadGenerator.Result.percentile(r.latencyMs(), 0.99)));
        row.put("ttfc_ms_p50", round(LoadGenerator.Result.percentile(r.ttfcMs(), 0.50)));
        row.put("ttfc_ms_p95", round(LoadGenerator.Result.percentile(r.ttfcMs(), 0.95)));
        row.put("ttfc_ms_p99", round(LoadGenerator.Result.percentile(r.ttfcMs(), 0.99)));
        row.put(
            "batch_occupancy_mean",
            round(
                services.stream()
                    .mapToDouble(GeneratorService::meanBatchOccupancy)
                    .average()
                    .orElse(Double.NaN)));
        row.put("errors", r.errors());
        row.put("seconds", round(r.seconds()));
        return row;
      }
    } finally {
      services.forEach(GeneratorService::close);
    }
  }

  private static double round(double v) {
    return Double.isNaN(v) ? v : Math.round(v * 100) / 100.0;
  }
}
