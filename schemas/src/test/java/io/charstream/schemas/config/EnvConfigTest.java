package io.charstream.schemas.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvConfigTest {
  static ConfigDef def() {
    return CommonKeys.define(new ConfigDef())
        .define(
            "max.jobs",
            ConfigDef.Type.INT,
            1,
            ConfigDef.Range.between(1, 16),
            ConfigDef.Importance.HIGH,
            "Concurrent jobs.")
        .define("worker-id", ConfigDef.Type.STRING, "w", ConfigDef.Importance.LOW, "Worker name.")
        .define(
            "store.password", ConfigDef.Type.PASSWORD, "", ConfigDef.Importance.LOW, "A secret.");
  }

  @TempDir Path dir;

  @Test
  void envNamesFollowTheConvention() {
    assertThat(EnvConfig.envName("a.b-c")).isEqualTo("CHARSTREAM_A_B_C");
    assertThat(EnvConfig.kafkaPropertyOf("CHARSTREAM_KAFKA_SECURITY_PROTOCOL"))
        .isEqualTo("security.protocol");
  }

  @Test
  void precedenceIsDefaultsThenFileThenEnvThenOverrides() throws IOException {
    Path file =
        Files.writeString(
            dir.resolve("w.properties"), "max.jobs=2\nworker-id=from-file\ntopic.prefix=f.\n");
    EnvConfig c =
        EnvConfig.builder(def())
            .propertiesFile(file)
            .env(Map.of("CHARSTREAM_MAX_JOBS", "3", "CHARSTREAM_WORKER_ID", "from-env"))
            .override("max.jobs", 4)
            .build();
    assertThat(c.getInt("max.jobs")).isEqualTo(4);
    assertThat(c.source("max.jobs")).isEqualTo("override");
    assertThat(c.getString("worker-id")).isEqualTo("from-env");
    assertThat(c.source("worker-id")).isEqualTo("env CHARSTREAM_WORKER_ID");
    assertThat(c.getString("topic.prefix")).isEqualTo("f.");
    assertThat(c.source("topic.prefix")).startsWith("file ");
    assertThat(c.getString("bootstrap.servers")).isEqualTo("127.0.0.1:9092");
    assertThat(c.source("bootstrap.servers")).isEqualTo("default");
  }

  @Test
  void badValuesFailAtBuildNamingKeyAndSource() {
    assertThatThrownBy(
            () -> EnvConfig.builder(def()).env(Map.of("CHARSTREAM_MAX_JOBS", "99")).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("max.jobs")
        .hasMessageContaining("99")
        .hasMessageContaining("CHARSTREAM_MAX_JOBS");
    assertThatThrownBy(
            () -> EnvConfig.builder(def()).env(Map.of("CHARSTREAM_MAX_JOBS", "two")).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("max.jobs");
    assertThatThrownBy(
            () ->
                EnvConfig.builder(def())
                    .env(Map.of())
                    .override("topic.prefix", "bad prefix!")
                    .build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("topic.prefix");
  }

  @Test
  void unknownKeysAreErrors() throws IOException {
    Path file = Files.writeString(dir.resolve("w.properties"), "max.jbos=2\n");
    assertThatThrownBy(() -> EnvConfig.builder(def()).env(Map.of()).propertiesFile(file).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("max.jbos")
        .hasMessageContaining("known keys");
    assertThatThrownBy(() -> EnvConfig.builder(def()).override("nope", 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nope");
  }

  @Test
  void kafkaPropertiesPassThroughAndSecretsStayHidden() throws IOException {
    Path client =
        Files.writeString(
            dir.resolve("client.properties"),
            "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
                + "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"hunter2\";\n");
    EnvConfig c =
        EnvConfig.builder(def())
            .clientConfigFile(client)
            .env(
                Map.of(
                    "CHARSTREAM_KAFKA_SASL_MECHANISM",
                    "SCRAM-SHA-512",
                    "CHARSTREAM_STORE_PASSWORD",
                    "s3cret",
                    "CHARSTREAM_KAFKA_SSL_TRUSTSTORE_PASSWORD",
                    "tspw"))
            .override("bootstrap.servers", "broker:9093")
            .build();
    Map<String, Object> props = c.kafkaClientProps();
    assertThat(props)
        .containsEntry("security.protocol", "SASL_PLAINTEXT")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("ssl.truststore.password", "tspw")
        .containsEntry("bootstrap.servers", "broker:9093");
    assertThat((String) props.get("sasl.jaas.config")).contains("hunter2");
    String logged = c.toString();
    assertThat(logged)
        .doesNotContain("hunter2")
        .doesNotContain("s3cret")
        .doesNotContain("tspw")
        .contains("security.protocol = SASL_PLAINTEXT")
        .contains("[hidden]");
  }

  @Test
  void clientFileBootstrapServersWinOverTheDefaultOnly() throws IOException {
    Path client =
        Files.writeString(dir.resolve("client.properties"), "bootstrap.servers=far:9092\n");
    assertThat(
            EnvConfig.builder(def())
                .env(Map.of())
                .clientConfigFile(client)
                .build()
                .kafkaClientProps())
        .containsEntry("bootstrap.servers", "far:9092");
    assertThat(
            EnvConfig.builder(def())
                .env(Map.of())
                .clientConfigFile(client)
                .override("bootstrap.servers", "near:9092")
                .build()
                .kafkaClientProps())
        .containsEntry("bootstrap.servers", "near:9092");
  }

  @Test
  void markdownTableDocumentsEveryKey() {
    String table = EnvConfig.markdownTable(def());
    assertThat(table)
        .contains(
            "| `max.jobs` | `CHARSTREAM_MAX_JOBS` | int | 1 | [1,...,16] | Concurrent jobs. |")
        .contains("`topic.prefix`")
        .contains("`bootstrap.servers`")
        .contains("`worker-id` | `CHARSTREAM_WORKER_ID`");
    assertThat(table.lines().count()).isEqualTo(2 + def().names().size());
  }
}
