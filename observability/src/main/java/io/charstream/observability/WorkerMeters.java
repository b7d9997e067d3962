package io.charstream.observability;

import io.charstream.observability.HealthServer.Check;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The meters every worker has beside its own, on the worker's registry: the JVM (memory pools,
 * buffer pools, GC, threads, classes), CPU and uptime, the process's resident memory (what a
 * container's memory limit counts: heap plus the engine's native buffers), the worker's probe
 * answers as 0/1 gauges ({@code <prefix>.live}, {@code <prefix>.ready}: an alert sees what
 * Kubernetes sees), and the Kafka clients' own metrics. Prometheus names are in docs/trainer.md and
 * docs/generator.md. {@link #close()} removes the Kafka meters and stops their refresh thread.
 */
public final class WorkerMeters implements AutoCloseable {

  /**
   * How often the Kafka binders look for metrics a client added since (a partition's lag appears
   * after its assignment): shorter than a scrape interval, so a new partition shows on the next
   * scrapes.
   */
  public static final Duration KAFKA_REFRESH = Duration.ofSeconds(10);

  private final MeterRegistry registry;
  private final List<Runnable> closers = new ArrayList<>();
  private final ScheduledExecutorService kafkaRefresh =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "charstream-kafka-meters");
            t.setDaemon(true);
            return t;
          });

  private WorkerMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  /**
   * Binds the JVM, process and health meters.
   *
   * @param prefix the worker's meter prefix without the dot ({@code charstream.trainer})
   * @param live the liveness check /livez answers with; evaluated at each scrape
   * @param ready the readiness check /readyz answers with
   */
  public static WorkerMeters bind(
      MeterRegistry registry, String prefix, Supplier<Check> live, Supplier<Check> ready) {
    WorkerMeters m = new WorkerMeters(registry);
    JvmGcMetrics gc = new JvmGcMetrics(); // listens to GC notifications until closed
    m.closers.add(gc::close);
    for (MeterBinder b :
        new MeterBinder[] {
          new JvmMemoryMetrics(),
          gc,
          new JvmThreadMetrics(),
          new ClassLoaderMetrics(),
          new ProcessorMetrics(),
          new UptimeMetrics()
        }) {
      b.bindTo(registry);
    }
    Gauge.builder("process.resident.memory", ResidentMemory::bytes)
        .description("Resident set size of the process (VmRSS): what a container memory limit sees")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder(prefix + ".live", () -> live.get().ok() ? 1 : 0)
        .description("1 while /livez answers 200")
        .register(registry);
    Gauge.builder(prefix + ".ready", () -> ready.get().ok() ? 1 : 0)
        .description("1 while /readyz answers 200")
        .register(registry);
    return m;
  }

  /** The client's own metrics (fetch lag per partition, request rates, errors) as meters. */
  public void bindKafka(Consumer<?, ?> consumer) {
    KafkaClientMetrics b = new KafkaClientMetrics(consumer, List.of(), kafkaRefresh, KAFKA_REFRESH);
    b.bindTo(registry);
    closers.add(b::close);
  }

  public void bindKafka(Producer<?, ?> producer) {
    KafkaClientMetrics b = new KafkaClientMetrics(producer, List.of(), kafkaRefresh, KAFKA_REFRESH);
    b.bindTo(registry);
    closers.add(b::close);
  }

  /** Kafka Streams' client, thread, task and store metrics, and those of its embedded clients. */
  public void bindKafka(KafkaStreams streams) {
    KafkaStreamsMetrics b =
        new KafkaStreamsMetrics(streams, List.of(), kafkaRefresh, KAFKA_REFRESH);
    b.bindTo(registry);
    closers.add(b::close);
  }

  /** Removes the Kafka meters, stops listening to GC and stops the refresh thread. */
  @Override
  public void close() {
    closers.forEach(Runnable::run);
    closers.clear();
    kafkaRefresh.shutdownNow();
  }
}
