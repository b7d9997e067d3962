package io.charstream.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.schemas.config.EnvConfig;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class GeneratorConfigTest {

  @Test
  void defaultsAreValidAndDocumented() {
    GeneratorConfig c = GeneratorConfig.of(Map.of(), Map.of());
    assertThat(c.getInt(GeneratorConfig.BATCH_CAPACITY)).isEqualTo(64);
    assertThat(c.getString(GeneratorConfig.MODEL_DEFAULT_ID)).isEqualTo("default");
    assertThat(c.topics().generateRequests().name()).isEqualTo("charstream.generate-requests");
    assertThat(c.instanceId()).matches("[A-Za-z0-9._-]+");
    assertThat(c.getLong(GeneratorConfig.QUEUE_MAX_WAIT_MS)).isZero(); // off
    assertThat(c.getString(GeneratorConfig.REPLY_TOPIC_PATTERN))
        .isEqualTo("charstream\\.replies\\..+");
    GeneratorConfig.DEF
        .configKeys()
        .values()
        .forEach(
            k -> {
              assertThat(k.documentation).as(k.name).isNotBlank();
              assertThat(k.hasDefault()).as(k.name).isTrue();
            });
  }

  @Test
  void everyKeyIsSettableFromTheEnvironmentAndClientPropertiesPassThrough() {
    GeneratorConfig c =
        GeneratorConfig.of(
            Map.of(),
            Map.of(
                "CHARSTREAM_BATCH_CAPACITY", "8",
                "CHARSTREAM_PROMPT_MAX_CHARS", "100",
                "CHARSTREAM_TOPIC_PREFIX", "x.",
                "CHARSTREAM_INSTANCE_ID", "pod-1",
                "CHARSTREAM_QUEUE_MAX_WAIT_MS", "2500",
                "CHARSTREAM_KAFKA_SECURITY_PROTOCOL", "SASL_SSL"));
    assertThat(c.getInt(GeneratorConfig.BATCH_CAPACITY)).isEqualTo(8);
    assertThat(c.getInt(GeneratorConfig.PROMPT_MAX_CHARS)).isEqualTo(100);
    assertThat(c.topics().generateResponses().name()).isEqualTo("x.generate-responses");
    assertThat(c.instanceId()).isEqualTo("pod-1");
    assertThat(c.getLong(GeneratorConfig.QUEUE_MAX_WAIT_MS)).isEqualTo(2500L);
    assertThat(c.kafkaClientProps()).containsEntry("security.protocol", "SASL_SSL");
    assertThat(EnvConfig.envName(GeneratorConfig.SHUTDOWN_DRAIN_MS))
        .isEqualTo("CHARSTREAM_SHUTDOWN_DRAIN_MS");
  }

  @Test
  void badValuesFailAtStartUpNamingTheKey() {
    assertThatThrownBy(() -> GeneratorConfig.of(Map.of(), Map.of("CHARSTREAM_BATCH_CAPACITY", "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("batch.capacity");
    assertThatThrownBy(
            () -> GeneratorConfig.of(Map.of(), Map.of("CHARSTREAM_QUEUE_CAPACITY", "many")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("queue.capacity");
    assertThatThrownBy(
            () -> GeneratorConfig.of(Map.of(), Map.of("CHARSTREAM_QUEUE_MAX_WAIT_MS", "-1")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("queue.max-wait-ms");
    assertThatThrownBy(
            () -> GeneratorConfig.of(Map.of(), Map.of("CHARSTREAM_REPLY_TOPIC_PATTERN", "(")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("reply.topic-pattern");
    assertThatThrownBy(
            () -> GeneratorConfig.of(Map.of(), Map.of("CHARSTREAM_PRIORITY_BATCH_EVERY", "1")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("priority.batch-every");
    assertThatThrownBy(() -> GeneratorConfig.of(Map.of(), Map.of("CHARSTREAM_N_MAX", "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("n.max");
    assertThatThrownBy(
            () -> GeneratorConfig.of(Map.of(GeneratorConfig.INSTANCE_ID, "bad id!"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("instance.id");
  }
}
