package io.charstream.generator;

import io.charstream.generator.GeneratorWorker.Settings;
import io.charstream.generator.GeneratorWorker.WorkerTopics;
import io.charstream.observability.HealthServer;
import io.charstream.observability.WorkerMeters;
import io.charstream.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One generator instance: the checkpoint follower, the worker loop and the HTTP endpoints, wired
 * from a {@link GeneratorConfig}. {@link #close()} is the graceful stop a SIGTERM triggers (finish
 * or hand back running requests, commit, leave the group); {@link #kill()} stops as a crash would.
 */
public final class GeneratorService implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(GeneratorService.class);

  private final GeneratorConfig config;
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final GeneratorMetrics metrics;
  private final ModelRegistry models;
  private final CheckpointFollower follower;
  private final GeneratorWorker worker;
  private final Thread followerThread;
  private final Thread workerThread;
  private final HealthServer http;
  private final WorkerMeters workerMeters;
  private final AtomicBoolean stopped = new AtomicBoolean();

  private GeneratorService(GeneratorConfig config) throws IOException {
    this.config = config;
    Topics topics = config.topics();
    String instance = config.instanceId();
    int capacity = config.getInt(GeneratorConfig.BATCH_CAPACITY);
    metrics = new GeneratorMetrics(registry, capacity);
    models = new ModelRegistry(config.getInt(GeneratorConfig.MODEL_KEEP_VERSIONS));
    KafkaClients clients = new KafkaClients(config);
    var requests = clients.requestConsumer();

    follower =
        new CheckpointFollower(
            topics.checkpoints().name(),
            clients.modelConsumer(),
            models,
            config.getInt(GeneratorConfig.MODEL_KEEP_VERSIONS),
            m -> metrics.modelVersion(m.modelId(), () -> models.latestVersions().get(m.modelId())),
            () -> metrics.badCheckpoint());
    JsonRequestReader reader =
        new JsonRequestReader(
            new JsonRequestReader.Limits(
                config.getInt(GeneratorConfig.PROMPT_MAX_CHARS),
                config.getInt(GeneratorConfig.LENGTH_MAX),
                config.getInt(GeneratorConfig.STOP_MAX),
                config.getString(GeneratorConfig.MODEL_DEFAULT_ID),
                Math.min(config.getInt(GeneratorConfig.N_MAX), capacity)));
    SlotScheduler scheduler =
        new SlotScheduler(
            capacity,
            LoadedModel::newStreams,
            config.getInt(GeneratorConfig.PRIME_BUDGET_CHARS),
            config.getInt(GeneratorConfig.PRIORITY_BATCH_EVERY));
    worker =
        new GeneratorWorker(
            new WorkerTopics(
                topics.generateRequests().name(),
                topics.generateResponses().name(),
                topics.deadLetter(topics.generateRequests()).name(),
                Math.min(
                    topics.deadLetter(topics.generateRequests()).settings().maxMessageBytes(),
                    Integer.parseInt(
                        String.valueOf(
                            config
                                .kafkaClientProps()
                                .getOrDefault("max.request.size", 1024 * 1024))))),
            new Settings(
                config.getInt(GeneratorConfig.QUEUE_CAPACITY),
                config.getInt(GeneratorConfig.COMMIT_INTERVAL_MS),
                config.getInt(GeneratorConfig.POLL_IDLE_MS),
                config.getInt(GeneratorConfig.POLL_BUSY_MS),
                config.getLong(GeneratorConfig.SHUTDOWN_DRAIN_MS),
                config.getLong(GeneratorConfig.QUEUE_MAX_WAIT_MS),
                Pattern.compile(config.getString(GeneratorConfig.REPLY_TOPIC_PATTERN))),
            requests,
            clients::transactionalProducer,
            reader,
            new JsonResponseWriter(),
            scheduler,
            new JobPreparer(models, config.getLong(GeneratorConfig.MODEL_WAIT_MS)),
            metrics,
            follower.caughtUp(),
            instance,
            // A no-op unless an OpenTelemetry SDK or the Java agent installed the global instance.
            new RequestTracing(
                io.opentelemetry.api.GlobalOpenTelemetry.get(),
                config.getString(GeneratorConfig.GROUP_ID)));

    // JVM, resident memory, probe answers and the request consumer's lag per partition.
    workerMeters =
        WorkerMeters.bind(registry, "charstream.generator", this::liveness, this::readiness);
    workerMeters.bindKafka(requests);
    int port = config.getInt(GeneratorConfig.HTTP_PORT);
    http =
        port < 0 ? null : new HealthServer(port, registry::scrape, this::liveness, this::readiness);
    followerThread = new Thread(follower, "generator-models-" + instance);
    workerThread = new Thread(worker, "generator-worker-" + instance);
    followerThread.setDaemon(true);
  }

  /** Starts an instance; it becomes ready once it has partitions and a model. */
  public static GeneratorService start(GeneratorConfig config) throws IOException {
    GeneratorService s = new GeneratorService(config);
    s.followerThread.start();
    s.workerThread.start();
    log.info(
        "generator {} started (batch capacity {}, http port {})",
        config.instanceId(),
        config.getInt(GeneratorConfig.BATCH_CAPACITY),
        s.httpPort());
    return s;
  }

  /** The HTTP port of /metrics, /livez and /readyz, or -1 when disabled. */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  public String instanceId() {
    return config.instanceId();
  }

  /** Live while the worker loop runs and turned within {@code health.stall-ms}. */
  public HealthServer.Check liveness() {
    if (!worker.running()) {
      Throwable f = worker.failure();
      return new HealthServer.Check(false, f == null ? "worker stopped" : "worker failed: " + f);
    }
    if (follower.failure() != null) {
      return new HealthServer.Check(false, "checkpoint follower failed: " + follower.failure());
    }
    long stalledMs = (System.nanoTime() - worker.lastTurnNanos()) / 1_000_000;
    long limit = config.getLong(GeneratorConfig.HEALTH_STALL_MS);
    return stalledMs > limit
        ? new HealthServer.Check(
            false, "worker loop stalled for " + stalledMs + " ms (limit " + limit + ")")
        : new HealthServer.Check(true, "worker loop turning");
  }

  /** Ready once request partitions are assigned and at least one model is loaded. */
  public HealthServer.Check readiness() {
    int partitions = worker.assignedPartitions();
    boolean model = models.anyLoaded();
    boolean ok = worker.running() && partitions > 0 && model;
    return new HealthServer.Check(
        ok, partitions + " request partitions assigned; models: " + models.describe());
  }

  public boolean ready() {
    return readiness().ok();
  }

  /** The instance's meters (Prometheus registry). */
  public MeterRegistry meters() {
    return registry;
  }

  /** Mean busy slots / capacity over every batched step so far. */
  public double meanBatchOccupancy() {
    return metrics.meanOccupancy();
  }

  /** Graceful stop: drain (up to shutdown.drain-ms), commit, leave the group; waits for it. */
  @Override
  public void close() {
    worker.requestStop();
    join(workerThread, config.getLong(GeneratorConfig.SHUTDOWN_DRAIN_MS) + 30_000);
    stopRest();
  }

  /** Stops as a crash would: nothing committed, the group notices by session timeout. */
  public void kill() {
    worker.kill();
    join(workerThread, 30_000);
    stopRest();
  }

  private void stopRest() {
    if (!stopped.compareAndSet(false, true)) {
      return; // already stopped (close after kill, or a second close)
    }
    follower.close();
    join(followerThread, 10_000);
    if (http != null) {
      http.close();
    }
    workerMeters.close();
    registry.close();
  }

  private static void join(Thread t, long millis) {
    try {
      t.join(millis);
      if (t.isAlive()) {
        log.warn("{} did not stop within {} ms", t.getName(), millis);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Blocks until the worker loop ends (it ends only on close/kill or a fatal error). */
  public void awaitTermination() throws InterruptedException {
    workerThread.join();
  }

  /** Waits until ready; false on timeout. */
  public boolean awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!ready()) {
      if (System.nanoTime() > deadline
          || !worker.running() && workerThread.getState() == Thread.State.TERMINATED) {
        return false;
      }
      TimeUnit.MILLISECONDS.sleep(20); // polling a condition with a deadline
    }
    return true;
  }
}
