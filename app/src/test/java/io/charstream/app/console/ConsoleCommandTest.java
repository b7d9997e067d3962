package io.charstream.app.console;

import static io.charstream.app.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.cli.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad console settings stop `console` and `up` before they start anything, naming the key. */
class ConsoleCommandTest {

  @TempDir java.nio.file.Path dir;

  @Test
  void aPublicAddressWithoutATokenIsRefused() {
    CliRun r = run("console", "--bootstrap-servers", "127.0.0.1:1", "--bind-address", "0.0.0.0");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err())
        .startsWith("charstream console: console.bind-address is 0.0.0.0, not a loopback address")
        .contains("CHARSTREAM_CONSOLE_AUTH_TOKEN");
  }

  @Test
  void aConsoleWithoutAPortHasNothingToServe() {
    CliRun r = run("console", "--bootstrap-servers", "127.0.0.1:1", "--http-port", "-1");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("console.http-port is -1");
  }

  @Test
  void upChecksTheConsolesPortBeforeItStartsABroker() {
    CliRun r = run("up", "--port", "0", "--data-dir", dir.toString(), "--http-port", "70000");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("console.http-port").contains("70000");
    assertThat(dir.resolve("kafka")).as("no broker was started").doesNotExist();
  }
}
