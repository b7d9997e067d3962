package io.charstream.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.schemas.config.EnvConfig;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "CHARSTREAM_BATCH_CAPACITY | 0 | batch.capacity",
        "CHARSTREAM_QUEUE_CAPACITY | many | queue.capacity",
        "CHARSTREAM_QUEUE_MAX_WAIT_MS | -1 | queue.max-wait-ms",
        "CHARSTREAM_REPLY_TOPIC_PATTERN | ( | reply.topic-pattern",
        "CHARSTREAM_PRIORITY_BATCH_EVERY | 1 | priority.batch-every",
        "CHARSTREAM_N_MAX | 0 | n.max"
      })
  void badValuesFailAtStartUpNamingTheKey(String variable, String value, String key) {
    assertThatThrownBy(() -> GeneratorConfig.of(Map.of(), Map.of(variable, value)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(key);
  }

  @Test
  void aBadInstanceIdFailsAtStartUpNamingTheKey() {
    assertThatThrownBy(
            () -> GeneratorConfig.of(Map.of(GeneratorConfig.INSTANCE_ID, "bad id!"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("instance.id");
  }
}
