package io.charstream.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.observability.HealthServer.Check;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.stats.Value;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.Test;

/** What every worker's /metrics shows beside the worker's own meters, by Prometheus name. */
class WorkerMetersTest {

  @Test
  void jvmProcessAndHealthMetersUnderTheirPrometheusNames() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AtomicBoolean live = new AtomicBoolean(true);
    AtomicBoolean ready = new AtomicBoolean(false);
    try (WorkerMeters m =
        WorkerMeters.bind(
            registry,
            "charstream.test",
            () -> new Check(live.get(), "l"),
            () -> new Check(ready.get(), "r"))) {
      String scrape = registry.scrape();
      assertThat(scrape)
          .contains("charstream_test_live 1.0")
          .contains("charstream_test_ready 0.0")
          .contains("process_resident_memory_bytes ")
          .contains("jvm_memory_used_bytes{area=\"heap\"")
          .contains("jvm_buffer_memory_used_bytes{")
          .contains("jvm_gc_")
          .contains("jvm_threads_live_threads ")
          .contains("process_cpu_usage ")
          .contains("process_uptime_seconds ");
      live.set(false);
      ready.set(true);
      assertThat(registry.scrape())
          .contains("charstream_test_live 0.0")
          .contains("charstream_test_ready 1.0");
    }
  }

  @Test
  void aKafkaClientsMetricsBecomeMetersAndGoOnClose() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MockConsumer<byte[], byte[]> consumer =
        new MockConsumer<>("earliest") {
          @Override
          public synchronized Map<MetricName, ? extends Metric> metrics() {
            MetricName name =
                new MetricName(
                    "records-lag",
                    "consumer-fetch-manager-metrics",
                    "",
                    Map.of("client-id", "c1", "topic", "t", "partition", "3"));
            Value lag = new Value();
            lag.record(new MetricConfig(), 42, 0);
            return Map.of(
                name, new KafkaMetric(new Object(), name, lag, new MetricConfig(), Time.SYSTEM));
          }
        };
    WorkerMeters m =
        WorkerMeters.bind(
            registry, "charstream.test", () -> new Check(true, ""), () -> new Check(true, ""));
    m.bindKafka(consumer);
    assertThat(registry.scrape())
        .containsPattern(
            "kafka_consumer_fetch_manager_records_lag\\{[^}]*partition=\"3\"[^}]*topic=\"t\"[^}]*\\} 42.0");
    m.close();
    assertThat(registry.scrape()).doesNotContain("kafka_consumer_fetch_manager_records_lag");
  }
}
