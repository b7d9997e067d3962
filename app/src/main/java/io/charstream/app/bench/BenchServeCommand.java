package io.charstream.app.bench;

import io.charstream.app.broker.EmbeddedBroker;
import io.charstream.app.cli.CliCommand;
import io.charstream.app.cli.NativeTuning;
import io.charstream.app.client.ModelPublisher;
import io.charstream.generator.GeneratorConfig;
import io.charstream.generator.GeneratorService;
import io.charstream.generator.SyntheticCheckpoints;
import io.charstream.model.Checkpoint;
import io.charstream.model.ModelConfig;
import io.charstream.model.TrainingConfig;
import io.charstream.model.TrainingListener;
import io.charstream.model.Vocabulary;
import io.charstream.model.generation.GenerationModel;
import io.charstream.model.kernel.FusedRuntime;
import io.charstream.model.training.CharRnnTrainer;
import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code charstream bench serve}: an embedded broker, one model, N generator instances in this JVM
 * and a closed-loop load generator, against the engine's own speed measured in the same process.
 * Each run's steady state is measured in segments with the engine alone (batch 1 and batch
 * capacity) measured before, between and after them, so every segment is compared with the engine
 * of its own minutes; a run's ratios are the medians of its segments'. Prints one JSON object: per
 * (batch capacity, instances, concurrency) the ramp (the first seconds of the loop) and the steady
 * state apart: requests/s, chars/s, latency and time-to-first-char percentiles, batch occupancy,
 * transactions, the segments and the ratios to the engine; and the engine's windows.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description =
        "Benchmark serving: embedded broker + generator instances + closed-loop load generator,"
            + " against the engine's batch-1 and batch-capacity rates measured between the steady"
            + " segments; prints JSON with the ramp and the steady state apart, and the ratios.")
public final class BenchServeCommand extends CliCommand {

  /** Targets of issue 13, reported with the ratios. */
  static final double THROUGHPUT_TARGET = 0.66;

  static final double REQUEST_RATE_TARGET = 0.25;

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
      defaultValue = "1",
      description = "Generator instances per run (default ${DEFAULT-VALUE}).")
  List<Integer> instances;

  @Option(
      names = "--concurrency",
      split = ",",
      defaultValue = "4,64",
      description = "Outstanding requests kept by the load generator (default ${DEFAULT-VALUE}).")
  List<Integer> concurrency;

  @Option(
      names = "--batch-capacity",
      defaultValue = "64",
      description =
          "Slots per instance when batching, and the engine's large batch (default ${DEFAULT-VALUE}).")
  int capacity;

  @Option(
      names = "--unbatched",
      description = "Also run each concurrency with batching off (capacity 1, one instance).")
  boolean unbatched;

  @Option(
      names = "--ramp-seconds",
      defaultValue = "3",
      description =
          "Least seconds at the start of each run reported apart as the ramp; it lasts until the JIT"
              + " compilers are quiet (below 2%% of a core over 10 s: the broker and clients in this"
              + " JVM compile for minutes) or --ramp-max-seconds (default ${DEFAULT-VALUE}).")
  double rampSeconds;

  @Option(
      names = "--warmup-seconds",
      defaultValue = "10",
      description =
          "Seconds of short requests at full occupancy before the first run, not measured: most of"
              + " the JIT compilation of the broker, the worker and the clients happens here (default"
              + " ${DEFAULT-VALUE}).")
  double warmupSeconds;

  @Option(
      names = "--ramp-max-seconds",
      defaultValue = "180",
      description = "Longest ramp (default ${DEFAULT-VALUE}).")
  double rampMaxSeconds;

  @Option(
      names = "--seconds",
      defaultValue = "15",
      description =
          "Seconds of steady state measured per run, in --segments parts (default ${DEFAULT-VALUE}).")
  double seconds;

  @Option(
      names = "--segments",
      defaultValue = "5",
      description =
          "Parts of each run's steady state, with the engine measured before, between and after"
              + " them; the run's ratios are the medians of its segments' (default ${DEFAULT-VALUE}).")
  int segments;

  @Option(
      names = "--requests",
      defaultValue = "96",
      description =
          "At least this many steady-state requests per run: each segment extends until its share"
              + " is answered (default ${DEFAULT-VALUE}).")
  int requests;

  @Option(
      names = "--engine-seconds",
      defaultValue = "3",
      description =
          "Seconds per engine window between segments, half at batch capacity, half at batch 1"
              + " (default ${DEFAULT-VALUE}).")
  double engineSeconds;

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

  @Option(
      names = "--worker-config",
      paramLabel = "KEY=VALUE",
      description =
          "A generator config key for every instance (repeatable), e.g. --worker-config"
              + " commit.interval-ms=50.")
  Map<String, String> workerConfig = new LinkedHashMap<>();

  @Override
  protected int run(PrintWriter err) throws Exception {
    if (segments < 1 || seconds <= 0 || engineSeconds <= 0) {
      throw new IllegalArgumentException(
          "--segments must be at least 1 and --seconds and --engine-seconds above 0");
    }
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
    out.put("length", length);
    out.put("prompt", prompt);
    out.put("cpus", Runtime.getRuntime().availableProcessors());
    out.put("threads", FusedRuntime.threads());
    out.put("worker_config", workerConfig);
    out.put("load_average_1m_start", Machine.loadAverage());
    long t0 = System.nanoTime();
    EngineRate engine = new EngineRate(GenerationModel.from(checkpoint), prompt);
    out.put("kernel", engine.kernel());
    List<Map<String, Object>> runs = new ArrayList<>();
    EngineWindows engineWindows = new EngineWindows();
    try (EmbeddedBroker broker = EmbeddedBroker.start(EmbeddedBroker.Options.ephemeral())) {
      engine.warmUp(capacity, Math.max(1, engineSeconds / 2));
      Map<String, Object> kafka = Map.of("bootstrap.servers", broker.bootstrapServers());
      int run = 0;
      List<Integer> caps = unbatched ? List.of(capacity, 1) : List.of(capacity);
      for (int cap : caps) {
        for (int n : instances) {
          if (cap == 1 && n > 1) {
            continue; // batching off: one instance is the comparison
          }
          for (int k : concurrency) {
            // The first run warms the JIT up (the broker's code too) at a high request rate.
            double warm = runs.isEmpty() ? warmupSeconds : 0;
            runs.add(
                runOnce(
                    broker,
                    kafka,
                    checkpoint,
                    engine,
                    engineWindows,
                    "b" + run++,
                    cap,
                    n,
                    k,
                    warm));
            System.err.println("bench serve: " + Json.writeString(runs.get(runs.size() - 1)));
          }
        }
      }
    }
    Map<String, Object> e = new LinkedHashMap<>();
    List<Double> batch1 = charsPerSecond(engineWindows.batch1);
    List<Double> batchN = charsPerSecond(engineWindows.batchN);
    e.put("batch1_chars_per_s_median", Math.round(median(batch1)));
    e.put("batch" + capacity + "_chars_per_s_median", Math.round(median(batchN)));
    e.put("batch1_chars_per_s_windows", batch1.stream().map(Math::round).toList());
    e.put("batch" + capacity + "_chars_per_s_windows", batchN.stream().map(Math::round).toList());
    e.put("seconds_each", engineSeconds / 2);
    out.put("engine", e);
    out.put("runs", runs);
    out.put("targets", targets(runs));
    out.put("load_average_1m_end", Machine.loadAverage());
    out.put("total_seconds", round((System.nanoTime() - t0) / 1e9, 1));
    out.putAll(NativeTuning.describe());
    System.out.println(Json.writeString(out));
    return 0;
  }

  /**
   * Issue 13's two targets, from the batching runs of one instance: the worker's steady chars/s at
   * {@code capacity} outstanding against the engine's batch-capacity rate, and a request's own rate
   * (length / p50 latency) at 4 outstanding against the engine's batch-1 rate (each the median of
   * the run's segments).
   */
  private Map<String, Object> targets(List<Map<String, Object>> runs) {
    Map<String, Object> t = new LinkedHashMap<>();
    for (Map<String, Object> row : runs) {
      if ((int) row.get("batch_capacity") != capacity || (int) row.get("instances") != 1) {
        continue;
      }
      int k = (int) row.get("concurrency");
      @SuppressWarnings("unchecked")
      Map<String, Object> steady = (Map<String, Object>) row.get("steady");
      if (k == capacity) {
        double r = (double) steady.get("throughput_vs_engine_batch" + capacity);
        t.put("throughput_at_" + k + "_vs_engine_batch" + capacity, round(r, 3));
        t.put("throughput_target", THROUGHPUT_TARGET);
        t.put("throughput_met", r >= THROUGHPUT_TARGET);
      }
      if (k == 4) {
        double r = (double) steady.get("request_rate_vs_engine_batch1");
        t.put("request_rate_at_4_vs_engine_batch1", round(r, 3));
        t.put("request_rate_target", REQUEST_RATE_TARGET);
        t.put("request_rate_met", r >= REQUEST_RATE_TARGET);
      }
    }
    return t;
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
      EngineRate engine,
      EngineWindows engineWindows,
      String runId,
      int cap,
      int n,
      int k,
      double warmSeconds)
      throws Exception {
    Topics topics = new Topics("bench-" + runId + ".");
    broker.createTopics(topics);
    ModelPublisher.publish(kafka, topics, "bench", 1, checkpoint);
    List<GeneratorService> services = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", broker.bootstrapServers());
        config.put("topic.prefix", topics.prefix());
        config.put(GeneratorConfig.GROUP_ID, "bench-" + runId);
        config.put(GeneratorConfig.INSTANCE_ID, runId + "-" + i);
        config.put(GeneratorConfig.BATCH_CAPACITY, cap);
        config.put(GeneratorConfig.QUEUE_CAPACITY, Math.max(cap, k));
        config.put(GeneratorConfig.HTTP_PORT, -1);
        config.put(GeneratorConfig.MODEL_DEFAULT_ID, "bench");
        config.putAll(workerConfig);
        services.add(GeneratorService.start(GeneratorConfig.of(config, Map.of())));
      }
      for (GeneratorService s : services) {
        if (!s.awaitReady(Duration.ofSeconds(120))) {
          throw new IllegalStateException(
              "generator " + s.instanceId() + " not ready: " + s.readiness().reason());
        }
      }
      try (LoadGenerator load = new LoadGenerator(kafka, topics)) {
        if (warmSeconds > 0) {
          // Short requests at full occupancy: many requests per second through the broker, the
          // worker and the clients, so most of their code is compiled before anything is measured.
          load.run(
              runId + "-jit",
              capacity,
              Math.min(length, 32),
              prompt,
              Duration.ZERO,
              Duration.ZERO,
              () -> true,
              Duration.ofMillis(Math.round(warmSeconds * 1000)),
              0,
              Duration.ofMinutes(5),
              () -> {},
              () -> {});
        }
        // A few short requests first, so the worker's first steps are not all JIT compilation.
        load.run(
            runId + "-warmup",
            Math.min(k, 8),
            Math.min(length, 64),
            prompt,
            Duration.ZERO,
            Duration.ZERO,
            () -> true,
            Duration.ZERO,
            Math.min(k, 8),
            Duration.ofMinutes(5),
            () -> {},
            () -> {});
        JitWatch jit = JitWatch.serving();
        long jitStart = jit.compileMillis();
        long[] jitAtRampEnd = {0};
        boolean[] quietAtRampEnd = {false};
        LoadGenerator.Run r =
            load.run(
                runId,
                k,
                length,
                prompt,
                Duration.ofMillis(Math.round(rampSeconds * 1000)),
                Duration.ofMillis(Math.round(rampMaxSeconds * 1000)),
                () -> quietAtRampEnd[0] = jit.quiet(System.nanoTime()),
                Duration.ZERO,
                0,
                Duration.ofMinutes(10),
                () -> jitAtRampEnd[0] = jit.compileMillis(),
                () -> {});
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("batch_capacity", cap);
        row.put("instances", n);
        row.put("concurrency", k);
        Map<String, Object> ramp = window(r.ramp());
        // The compilers' share of a core (elapsed time, summed over their threads) per window.
        ramp.put("jit_cores", round((jitAtRampEnd[0] - jitStart) / 1e3 / r.ramp().seconds(), 3));
        ramp.put("ended_with_jit_quiet", quietAtRampEnd[0]);
        row.put("ramp", ramp);

        row.put("steady", steady(load, services, jit, engine, engineWindows, runId, n, k));
        return row;
      }
    } finally {
      services.forEach(GeneratorService::close);
    }
  }

  /**
   * A run's steady state in {@code --segments} parts, the engine alone measured before, between and
   * after them (the load drained, the worker idle): each segment against the mean of the engine
   * windows on either side of it, so a slower or faster minute of the machine moves both; the run's
   * ratios are the medians of its segments'.
   */
  private Map<String, Object> steady(
      LoadGenerator load,
      List<GeneratorService> services,
      JitWatch jit,
      EngineRate engine,
      EngineWindows engineWindows,
      String runId,
      int n,
      int k)
      throws TimeoutException {
    List<LoadGenerator.Run> parts = new ArrayList<>();
    List<Double> throughputRatios = new ArrayList<>();
    List<Double> requestRatios = new ArrayList<>();
    List<Map<String, Object>> segmentRows = new ArrayList<>();
    int firstWindow = engineWindows.batchN.size();
    EngineRate.Rate[] before = engineWindows.measure(engine, capacity, engineSeconds);
    WorkerCounters d = null;
    Map<String, Long> cpuNanos = new HashMap<>();
    long jitMillis = 0;
    Duration part = Duration.ofMillis(Math.round(seconds * 1000 / segments));
    int partRequests = (requests + segments - 1) / segments;
    for (int i = 0; i < segments; i++) {
      WorkerCounters[] marks = new WorkerCounters[2];
      ThreadCpu[] cpu = new ThreadCpu[2];
      long[] jitMarks = new long[2];
      LoadGenerator.Run p =
          load.run(
              runId + "-s" + i,
              k,
              length,
              prompt,
              Duration.ZERO,
              Duration.ZERO,
              () -> true,
              part,
              partRequests,
              Duration.ofMinutes(10),
              () -> {
                marks[0] = WorkerCounters.of(services);
                cpu[0] = ThreadCpu.now();
                jitMarks[0] = jit.compileMillis();
              },
              () -> {
                marks[1] = WorkerCounters.of(services);
                cpu[1] = ThreadCpu.now();
                jitMarks[1] = jit.compileMillis();
              });
      EngineRate.Rate[] after = engineWindows.measure(engine, capacity, engineSeconds);
      parts.add(p);
      WorkerCounters m = marks[1].minus(marks[0]);
      d = d == null ? m : d.plus(m);
      cpu[1].nanosSince(cpu[0]).forEach((g, v) -> cpuNanos.merge(g, v, Long::sum));
      jitMillis += jitMarks[1] - jitMarks[0];
      LoadGenerator.Window w = p.steady();
      double refN = (before[0].charsPerSecond() + after[0].charsPerSecond()) / 2;
      double ref1 = (before[1].charsPerSecond() + after[1].charsPerSecond()) / 2;
      double requestRate = requestRate(w);
      throughputRatios.add(w.charsPerSecond() / refN);
      requestRatios.add(requestRate / ref1);
      Map<String, Object> seg = new LinkedHashMap<>();
      seg.put("seconds", round(w.seconds(), 2));
      seg.put("generated_chars_per_s", Math.round(w.charsPerSecond()));
      seg.put("engine_batch" + capacity + "_chars_per_s", Math.round(refN));
      seg.put("throughput_vs_engine_batch" + capacity, round(w.charsPerSecond() / refN, 3));
      seg.put("request_chars_per_s", Math.round(requestRate));
      seg.put("engine_batch1_chars_per_s", Math.round(ref1));
      seg.put("request_rate_vs_engine_batch1", round(requestRate / ref1, 3));
      segmentRows.add(seg);
      before = after;
    }
    LoadGenerator.Window all = LoadGenerator.Window.of(parts);
    double steadySeconds = all.seconds();
    Map<String, Object> steady = window(all);
    steady.put("jit_cores", round(jitMillis / 1e3 / steadySeconds, 3));
    steady.put("batch_occupancy_mean", round(d.occupancySum() / d.steps(), 3));
    steady.put("steps_per_s", round(d.steps() / steadySeconds, 1));
    // Where the worker's time goes: the share of the window its loop spent in steps (the rest:
    // polling, priming, answering, and waiting with every slot empty), and what a step cost
    // per character, against the engine's own.
    steady.put("stepping_share", round(d.stepSeconds() / (steadySeconds * n), 3));
    steady.put("step_us_mean", round(1e6 * d.stepSeconds() / d.steps(), 1));
    steady.put("rows_per_step_mean", round(d.chars() / d.steps(), 1));
    double stepPerChar = 1e6 * d.stepSeconds() / d.chars();
    steady.put("step_us_per_char", round(stepPerChar, 3));
    steady.put("transactions_per_s", round(d.transactions() / steadySeconds, 1));
    steady.put("transaction_ms_mean", round(1000 * d.transactionSeconds() / d.transactions(), 1));
    double perCpu = all.chars() / d.processCpuSeconds();
    steady.put("generated_chars_per_cpu_s", round(perCpu, 0));
    // Cores busy per thread group in the steady segments: where the CPU went.
    steady.put("cores_by_thread", ThreadCpu.cores(cpuNanos, steadySeconds, 10));
    steady.put("segments", segmentRows);
    // The ratios: medians of the segments'.
    steady.put("throughput_vs_engine_batch" + capacity, round(median(throughputRatios), 3));
    steady.put("request_rate_vs_engine_batch1", round(median(requestRatios), 3));
    List<EngineRate.Rate> runEngineN =
        engineWindows.batchN.subList(firstWindow, engineWindows.batchN.size());
    double engineN = median(charsPerSecond(runEngineN));
    double engineNCpu =
        median(runEngineN.stream().map(EngineRate.Rate::charsPerCpuSecond).toList());
    // A character's step time in serving against the engine's at full batch (1.0: the same).
    steady.put("step_cost_vs_engine_batch" + capacity, round(stepPerChar * engineN / 1e6, 3));
    // Per CPU second (less sensitive to other work on the machine than wall time): what the
    // Kafka path, the broker and the load generator add to each character.
    steady.put("cpu_efficiency_vs_engine_batch" + capacity, round(perCpu / engineNCpu, 3));
    return steady;
  }

  private Map<String, Object> window(LoadGenerator.Window w) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("seconds", round(w.seconds(), 2));
    m.put("requests", w.requests());
    m.put("errors", w.errors());
    m.put("requests_per_s", round(w.requestsPerSecond(), 2));
    m.put("generated_chars_per_s", round(w.charsPerSecond(), 0));
    m.put("latency_ms_p50", round(w.latencyMs().percentileMs(50), 1));
    m.put("latency_ms_p95", round(w.latencyMs().percentileMs(95), 1));
    m.put("latency_ms_p99", round(w.latencyMs().percentileMs(99), 1));
    m.put("ttfc_ms_p50", round(w.ttfcMs().percentileMs(50), 1));
    m.put("ttfc_ms_p95", round(w.ttfcMs().percentileMs(95), 1));
    m.put("ttfc_ms_p99", round(w.ttfcMs().percentileMs(99), 1));
    // Where a request's time goes: the worker's side (record timestamp -> final response sent
    // to the transaction), the rest is the commit and the delivery to the client.
    m.put("worker_ms_p50", round(w.workerMs().percentileMs(50), 1));
    m.put("slot_chars_per_s_mean", round(w.slotCharsPerSecondMean(), 0));
    m.put("request_chars_per_s", round(requestRate(w), 0));
    return m;
  }

  /** A request's own rate: its characters over the window's median latency. */
  private double requestRate(LoadGenerator.Window w) {
    return length / (w.latencyMs().percentileMs(50) / 1000);
  }

  /**
   * Every engine window of the benchmark, in order: batch capacity then batch 1, measured with the
   * load drained.
   */
  private static final class EngineWindows {
    final List<EngineRate.Rate> batchN = new ArrayList<>();
    final List<EngineRate.Rate> batch1 = new ArrayList<>();

    /** Measures batch capacity, then batch 1, half of {@code seconds} each: {batchN, batch1}. */
    EngineRate.Rate[] measure(EngineRate engine, int capacity, double seconds) {
      EngineRate.Rate n = engine.measure(capacity, seconds / 2);
      EngineRate.Rate one = engine.measure(1, seconds / 2);
      batchN.add(n);
      batch1.add(one);
      System.err.printf(
          "bench serve: engine: batch %d %.0f, batch 1 %.0f chars/s%n",
          capacity, n.charsPerSecond(), one.charsPerSecond());
      return new EngineRate.Rate[] {n, one};
    }
  }

  /** The median (the mean of the middle two of an even count); NaN when empty. */
  static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int m = v.length / 2;
    return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
  }

  private static List<Double> charsPerSecond(List<EngineRate.Rate> rates) {
    return rates.stream().map(EngineRate.Rate::charsPerSecond).toList();
  }

  static double round(double v, int decimals) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return v;
    }
    double scale = Math.pow(10, decimals);
    return Math.round(v * scale) / scale;
  }
}
