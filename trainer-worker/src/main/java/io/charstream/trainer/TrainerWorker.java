package io.charstream.trainer;

import io.charstream.observability.HealthServer;
import io.charstream.observability.WorkerMeters;
import io.charstream.schemas.ClientSizes;
import io.charstream.schemas.Topic;
import io.charstream.schemas.Topics;
import io.charstream.trainer.corpus.CorpusReader;
import io.charstream.trainer.kafka.PartitionScan;
import io.charstream.trainer.kafka.TopicProducer;
import io.charstream.trainer.request.JsonRequestReader;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer worker: the Kafka Streams tables (corpus index, job states, cancellations), the
 * request-polling thread, an executor of training threads, and the HTTP endpoints ({@code
 * /metrics}, {@code /livez}, {@code /readyz} on {@code http.port}: {@link TrainerHealth}). {@link
 * #start} returns when the worker is consuming; {@link #close} hands running jobs over (they save
 * their state) and leaves the group, so another replica resumes them.
 */
public final class TrainerWorker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TrainerWorker.class);
  private static final Duration STREAMS_READY = Duration.ofSeconds(120);

  private final TrainerConfig config;
  private final TopicProducer producer;
  private final KafkaStreams streams;
  private final Path stateDir;
  private final boolean temporaryStateDir;
  private final ExecutorService executor;
  private final RequestLoop loop;
  private final Thread loopThread;
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final TrainerMetrics metrics = new TrainerMetrics(registry);
  private final Heartbeat heartbeat = new Heartbeat(System::nanoTime);
  private final TrainerHealth health;
  private final WorkerMeters workerMeters;
  private HealthServer http;
  private volatile boolean started;
  private volatile Throwable failure;

  private TrainerWorker(TrainerConfig config, Map<String, Object> clientProps) {
    this.config = config;
    Topics topics = config.topics();
    requireTopics(clientProps, topics);
    this.producer =
        new TopicProducer(
            clientProps,
            config.workerId() + "-producer",
            topics.trainingStatus(),
            topics.checkpoints(),
            topics.trainingState(),
            topics.deadLetter(topics.trainingRequests()));
    try {
      this.temporaryStateDir = config.stateDir() == null;
      this.stateDir =
          temporaryStateDir
              ? Files.createTempDirectory("charstream-trainer-streams-")
              : config.stateDir();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a Kafka Streams state directory", e);
    }
    this.streams =
        new KafkaStreams(
            TrainerTopology.build(
                topics, config.workerId(), kind -> metrics.error("corpus-" + kind)),
            new StreamsConfig(streamsProps(clientProps)));
    streams.setUncaughtExceptionHandler(
        e -> {
          LOG.error("the trainer's Kafka Streams tables failed", e);
          return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler
              .StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    AtomicInteger n = new AtomicInteger();
    this.executor =
        Executors.newFixedThreadPool(
            config.maxConcurrentJobs(),
            r -> {
              Thread t = new Thread(r, "trainer-job-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    PartitionScan scan = new PartitionScan(clientProps);
    Statuses statuses =
        new Statuses(topics, producer, System::currentTimeMillis, config.workerId(), metrics);
    StreamsJobTables tables = new StreamsJobTables(streams);
    JobRunner runner =
        new JobRunner(
            config,
            tables,
            new CorpusReader(topics, scan, config.limits().maxCorpusBytes()),
            new TrainingStates(topics, scan),
            statuses);
    KafkaConsumer<byte[], byte[]> requests =
        new KafkaConsumer<>(
            consumerProps(clientProps), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.loop =
        new RequestLoop(
            config,
            requests,
            new JsonRequestReader(topics.deadLetter(topics.trainingRequests()).name()),
            statuses,
            runner::run,
            executor,
            heartbeat);
    this.health =
        new TrainerHealth(
            () ->
                new TrainerHealth.Loop(
                    started,
                    running(),
                    failure,
                    heartbeat.nanosSinceBeat(),
                    loop.assignedPartitions()),
            TrainerHealth.of(streams),
            config.healthStall());
    metrics.corpusIndex(tables::corpusStats);
    this.workerMeters =
        WorkerMeters.bind(registry, "charstream.trainer", health::live, health::ready);
    workerMeters.bindKafka(streams);
    workerMeters.bindKafka(requests);
    this.loopThread =
        new Thread(
            () -> {
              try {
                loop.run();
                stopped.complete(null);
              } catch (Throwable t) {
                LOG.error("the trainer's request loop failed", t);
                failure = t;
                stopped.completeExceptionally(t);
              }
            },
            "trainer-poll");
  }

  /** Starts the tables, waits until they are loaded, then starts consuming requests. */
  public static TrainerWorker start(TrainerConfig config, Map<String, Object> clientProps) {
    TrainerWorker w = new TrainerWorker(config, clientProps);
    try {
      w.openHttp(); // first: a taken port fails the start at once, and probes answer while it runs
      w.streams.start();
      long deadline = System.nanoTime() + STREAMS_READY.toNanos();
      while (w.streams.state() != KafkaStreams.State.RUNNING) {
        if (w.streams.state() == KafkaStreams.State.ERROR || System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "the trainer's Kafka Streams tables did not start (state "
                  + w.streams.state()
                  + "); check the broker and the logs above");
        }
        java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
      }
    } catch (RuntimeException e) {
      w.closeResources();
      throw e;
    }
    w.heartbeat.beat();
    w.loopThread.start();
    w.started = true;
    LOG.info(
        "trainer {} consuming {} (group {}, up to {} concurrent jobs, http port {})",
        config.workerId(),
        config.topics().trainingRequests().name(),
        config.groupId(),
        config.maxConcurrentJobs(),
        w.httpPort());
    return w;
  }

  private void openHttp() {
    int port = config.httpPort();
    if (port < 0) return;
    try {
      http = new HealthServer(port, registry::scrape, health::live, health::ready);
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot serve /metrics, /livez and /readyz on http.port "
              + port
              + " ("
              + e.getMessage()
              + "): choose another port, 0 for any free one, or -1 for none",
          e);
    }
  }

  /** The port of /metrics, /livez and /readyz, or -1 when there is no HTTP server. */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  /** Live while the request loop and the Kafka Streams threads turn (see {@link TrainerHealth}). */
  public HealthServer.Check liveness() {
    return health.live();
  }

  /** Ready once the tables are restored and request partitions are assigned. */
  public HealthServer.Check readiness() {
    return health.ready();
  }

  /** The worker's meters (Prometheus registry): what /metrics serves. */
  public MeterRegistry meters() {
    return registry;
  }

  /**
   * Starts a worker from a validated config of {@link TrainerConfig#DEF}, with its Kafka client
   * properties.
   */
  public static TrainerWorker start(io.charstream.schemas.config.EnvConfig env) {
    return start(TrainerConfig.from(env), env.kafkaClientProps());
  }

  /**
   * Blocks until the worker has stopped: after {@link #close}, or when its request loop failed
   * (then {@link #failure} says why). The generator's service has the same method.
   */
  public void awaitTermination() throws InterruptedException {
    try {
      stopped.get();
    } catch (ExecutionException e) {
      // The loop failed: logged where it happened, and kept for failure().
    }
  }

  /** True until the worker has stopped. */
  public boolean running() {
    return !stopped.isDone();
  }

  /** Why the request loop ended by itself, if it did. */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  public TrainerConfig config() {
    return config;
  }

  /** Hands running jobs over (they save their training state), leaves the group and closes. */
  @Override
  public void close() {
    loop.stop();
    try {
      loopThread.join(config.handoverTimeout().plusSeconds(30).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeResources();
    stopped.complete(null);
  }

  private void closeResources() {
    executor.shutdownNow();
    try {
      executor.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // Streams members stay in their group after close by default (until the session times out),
    // which would hold up the corpus index of the replica that takes over: leave explicitly.
    streams.close(
        org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
                org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(30)));
    producer.close();
    if (temporaryStateDir) streams.cleanUp();
    if (http != null) http.close();
    workerMeters.close();
    registry.close();
  }

  private Map<String, Object> streamsProps(Map<String, Object> clientProps) {
    Map<String, Object> p = new HashMap<>(clientProps);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    p.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        LogAndContinueExceptionHandler.class);
    p.put(StreamsConfig.CLIENT_ID_CONFIG, config.workerId() + "-tables");
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    p.putAll(ClientSizes.consumer(config.topics().corpus()));
    // The corpus dead letters are as large as the corpus topic allows (4 MiB), above the producer's
    // default.
    p.putAll(ClientSizes.producer(config.topics().deadLetter(config.topics().corpus())));
    return p;
  }

  private Map<String, Object> consumerProps(Map<String, Object> clientProps) {
    Map<String, Object> p = new HashMap<>(clientProps);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        CooperativeStickyAssignor.class.getName());
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 20);
    p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, config.workerId() + "-requests");
    p.putAll(ClientSizes.consumer(config.topics().trainingRequests()));
    return p;
  }

  /** Fails at start-up, with what to do, when the topics are not there. */
  private static void requireTopics(Map<String, Object> clientProps, Topics topics) {
    List<Topic<?, ?>> needed =
        List.of(
            topics.corpus(),
            topics.corpora(),
            topics.trainingRequests(),
            topics.trainingControl(),
            topics.trainingStatus(),
            topics.checkpoints(),
            topics.trainingState(),
            topics.deadLetter(topics.corpus()),
            topics.deadLetter(topics.trainingRequests()));
    try (Admin admin = Admin.create(clientProps)) {
      Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
      List<String> missing =
          needed.stream().map(Topic::name).filter(t -> !existing.contains(t)).toList();
      if (!missing.isEmpty()) {
        throw new IllegalStateException(
            "missing topics "
                + missing
                + ": create them (charstream broker creates them; "
                + "on Kubernetes deploy/ does) or set topic.prefix to match the existing ones");
      }
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(
          "cannot reach Kafka at "
              + clientProps.get("bootstrap.servers")
              + ": "
              + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
