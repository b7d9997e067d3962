package io.charstream.app.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.schemas.config.EnvConfig;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The console's keys: defaults, the environment, and the checks made before anything starts. */
class ConsoleConfigTest {

  static ConsoleConfig of(Map<String, String> env) {
    return ConsoleConfig.from(EnvConfig.builder(ConsoleConfig.DEF).env(env).build());
  }

  @Test
  void defaultsListenOnLoopbackWithoutAToken() {
    ConsoleConfig c = of(Map.of());
    assertThat(c.port()).isEqualTo(8080);
    assertThat(c.bindAddress().isLoopbackAddress()).isTrue();
    assertThat(c.authToken()).isNull();
    assertThat(c.maxBodyBytes()).isEqualTo(256 * 1024);
    assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(120));
    assertThat(c.maxInFlight()).isEqualTo(64);
    assertThat(c.maxStreams()).isEqualTo(16);
    assertThat(c.topics().prefix()).isEqualTo("charstream.");
  }

  @Test
  void everyKeyIsSettableFromTheEnvironment() {
    ConsoleConfig c =
        of(
            Map.of(
                "CHARSTREAM_CONSOLE_HTTP_PORT", "0",
                "CHARSTREAM_CONSOLE_BIND_ADDRESS", "0.0.0.0",
                "CHARSTREAM_CONSOLE_AUTH_TOKEN", "a-long-enough-token",
                "CHARSTREAM_CONSOLE_MAX_BODY_BYTES", "4096",
                "CHARSTREAM_CONSOLE_REQUEST_TIMEOUT_MS", "5000",
                "CHARSTREAM_CONSOLE_MAX_IN_FLIGHT", "3",
                "CHARSTREAM_CONSOLE_MAX_STREAMS", "2",
                "CHARSTREAM_TOPIC_PREFIX", "team."));
    assertThat(c.port()).isZero();
    assertThat(c.bindAddress().isAnyLocalAddress()).isTrue();
    assertThat(c.authToken()).isEqualTo("a-long-enough-token");
    assertThat(c.maxBodyBytes()).isEqualTo(4096);
    assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.maxInFlight()).isEqualTo(3);
    assertThat(c.maxStreams()).isEqualTo(2);
    assertThat(c.topics().prefix()).isEqualTo("team.");
    assertThat(c.toString()).doesNotContain("a-long-enough-token");
    assertThat(c.source().toString()).doesNotContain("a-long-enough-token");
  }

  @Test
  void listeningBeyondLoopbackNeedsAToken() {
    assertThatThrownBy(() -> of(Map.of("CHARSTREAM_CONSOLE_BIND_ADDRESS", "0.0.0.0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("console.bind-address")
        .hasMessageContaining("not a loopback address")
        .hasMessageContaining("CHARSTREAM_CONSOLE_AUTH_TOKEN");
    assertThat(of(Map.of("CHARSTREAM_CONSOLE_BIND_ADDRESS", "localhost")).authToken()).isNull();
  }

  @Test
  void badValuesFailNamingTheKey() {
    assertThatThrownBy(() -> of(Map.of("CHARSTREAM_CONSOLE_AUTH_TOKEN", "abc12")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("console.auth-token is too short (5 characters)")
        .hasMessageNotContaining("abc12");
    assertThatThrownBy(() -> of(Map.of("CHARSTREAM_CONSOLE_HTTP_PORT", "70000")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("console.http-port")
        .hasMessageContaining("CHARSTREAM_CONSOLE_HTTP_PORT");
    assertThatThrownBy(() -> of(Map.of("CHARSTREAM_CONSOLE_MAX_BODY_BYTES", "10")))
        .hasMessageContaining("console.max-body-bytes");
    assertThatThrownBy(() -> of(Map.of("CHARSTREAM_CONSOLE_BIND_ADDRESS", "no-such-host.invalid")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("console.bind-address");
    assertThatThrownBy(() -> of(Map.of("CHARSTREAM_CONSOLE_MAX_IN_FLIGHT", "0")))
        .hasMessageContaining("console.max-in-flight");
  }

  @Test
  void theKeyTableHidesTheTokensDefaultAndNamesEveryEnvVariable() {
    String table = EnvConfig.markdownTable(ConsoleConfig.DEF);
    assertThat(table)
        .contains("`console.http-port` | `CHARSTREAM_CONSOLE_HTTP_PORT` | int | 8080")
        .contains("`CHARSTREAM_CONSOLE_AUTH_TOKEN`")
        .contains("`CHARSTREAM_CONSOLE_MAX_STREAMS`");
  }
}
