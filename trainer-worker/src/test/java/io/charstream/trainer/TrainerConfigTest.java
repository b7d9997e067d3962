package io.charstream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.schemas.config.EnvConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer's {@code -ms} keys (the generator's style) and their old names, which still work: in
 * a config file, as an override, and through the unchanged environment variables.
 */
class TrainerConfigTest {

  private static EnvConfig.Builder builder(Map<String, String> env) {
    return EnvConfig.builder(TrainerConfig.DEF).env(env).override(TrainerConfig.WORKER_ID, "w1");
  }

  private static TrainerConfig config(Map<String, String> env, Map<String, Object> overrides) {
    EnvConfig.Builder b = builder(env);
    overrides.forEach(b::override);
    return TrainerConfig.from(b.build());
  }

  @Test
  void theKeysUseTheGeneratorsStyleAndKeepTheirDefaults() {
    assertThat(TrainerConfig.CORPUS_WAIT_MS).isEqualTo("corpus.wait-ms");
    assertThat(TrainerConfig.HANDOVER_TIMEOUT_MS).isEqualTo("handover.timeout-ms");
    TrainerConfig c = config(Map.of(), Map.of());
    assertThat(c.corpusWait()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.handoverTimeout()).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void theEnvironmentVariablesAreUnchanged() {
    assertThat(EnvConfig.envName(TrainerConfig.CORPUS_WAIT_MS))
        .isEqualTo(EnvConfig.envName(TrainerConfig.CORPUS_WAIT_MS_ALIAS))
        .isEqualTo("CHARSTREAM_CORPUS_WAIT_MS");
    assertThat(EnvConfig.envName(TrainerConfig.HANDOVER_TIMEOUT_MS))
        .isEqualTo(EnvConfig.envName(TrainerConfig.HANDOVER_TIMEOUT_MS_ALIAS))
        .isEqualTo("CHARSTREAM_HANDOVER_TIMEOUT_MS");
    TrainerConfig c =
        config(
            Map.of("CHARSTREAM_CORPUS_WAIT_MS", "1234", "CHARSTREAM_HANDOVER_TIMEOUT_MS", "5678"),
            Map.of());
    assertThat(c.corpusWait()).isEqualTo(Duration.ofMillis(1234));
    assertThat(c.handoverTimeout()).isEqualTo(Duration.ofMillis(5678));
  }

  @Test
  void theOldCorpusWaitKeyStillWorks() {
    assertThat(config(Map.of(), Map.of("corpus.wait.ms", 4_000L)).corpusWait())
        .isEqualTo(Duration.ofMillis(4_000));
    assertThat(
            config(Map.of(), Map.of("corpus.wait.ms", 4_000L, "corpus.wait-ms", 5_000L))
                .corpusWait())
        .as("the new name wins")
        .isEqualTo(Duration.ofMillis(5_000));
    assertThatThrownBy(() -> config(Map.of(), Map.of("corpus.wait.ms", -1L)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("corpus.wait.ms");
  }

  @Test
  void theOldHandoverTimeoutKeyStillWorks(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("trainer.properties");
    Files.writeString(file, "handover.timeout.ms=2500\n");
    EnvConfig fromFile = builder(Map.of()).propertiesFile(file).build();
    assertThat(TrainerConfig.from(fromFile).handoverTimeout()).isEqualTo(Duration.ofMillis(2_500));
    assertThat(
            config(Map.of(), Map.of("handover.timeout.ms", 2_500L, "handover.timeout-ms", 3_000L))
                .handoverTimeout())
        .as("the new name wins")
        .isEqualTo(Duration.ofMillis(3_000));
    assertThatThrownBy(() -> config(Map.of(), Map.of("handover.timeout.ms", 10L)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("handover.timeout.ms");
  }

  @Test
  void theConfigTableDocumentsTheOldNamesAsAliases() {
    String table = EnvConfig.markdownTable(TrainerConfig.DEF);
    assertThat(table)
        .contains("| `corpus.wait.ms` | `CHARSTREAM_CORPUS_WAIT_MS` |")
        .contains("Old name of corpus.wait-ms")
        .contains("Old name of handover.timeout-ms");
  }

  @Test
  void httpPortAndStallLimitHaveDefaultsAndComeFromTheEnvironment() {
    TrainerConfig c = config(Map.of(), Map.of());
    assertThat(c.httpPort()).as("the generator's 8080 plus one").isEqualTo(8081);
    assertThat(c.healthStall()).isEqualTo(Duration.ofMinutes(3));
    TrainerConfig e =
        config(
            Map.of("CHARSTREAM_HTTP_PORT", "0", "CHARSTREAM_HEALTH_STALL_MS", "90000"), Map.of());
    assertThat(e.httpPort()).isZero();
    assertThat(e.healthStall()).isEqualTo(Duration.ofSeconds(90));
    assertThat(config(Map.of(), Map.of(TrainerConfig.HTTP_PORT, -1)).httpPort()).isEqualTo(-1);
  }

  @Test
  void aBadPortOrStallLimitFailsAtStartUpNamingTheKey() {
    assertThatThrownBy(() -> config(Map.of("CHARSTREAM_HTTP_PORT", "65536"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.port");
    assertThatThrownBy(() -> config(Map.of("CHARSTREAM_HTTP_PORT", "eighty"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.port");
    assertThatThrownBy(() -> config(Map.of(), Map.of(TrainerConfig.HEALTH_STALL_MS, 999L)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("health.stall-ms");
  }

  @Test
  void theStallLimitMustOutlastAHandover() {
    // A rebalance holds the request loop for up to handover.timeout-ms while jobs save their state.
    assertThatThrownBy(
            () ->
                config(
                    Map.of(),
                    Map.of(
                        TrainerConfig.HANDOVER_TIMEOUT_MS, 60_000L,
                        TrainerConfig.HEALTH_STALL_MS, 60_000L)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("health.stall-ms")
        .hasMessageContaining("must be longer than handover.timeout-ms (60000 ms)");
    assertThatThrownBy(() -> config(Map.of("CHARSTREAM_HANDOVER_TIMEOUT_MS", "200000"), Map.of()))
        .as("a longer handover needs a longer stall limit than the default")
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("raise health.stall-ms");
    assertThat(
            config(
                    Map.of(),
                    Map.of(
                        TrainerConfig.HANDOVER_TIMEOUT_MS, 60_000L,
                        TrainerConfig.HEALTH_STALL_MS, 60_001L))
                .healthStall())
        .isEqualTo(Duration.ofMillis(60_001));
  }
}
