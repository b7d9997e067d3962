package io.charstream.app.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad console settings stop `console` and `up` before they start anything, naming the key. */
class ConsoleCommandTest {
  record Run(int status, String err) {}

  @TempDir java.nio.file.Path dir;

  static Run run(String... args) {
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      return new Run(Main.newCommandLine().execute(args), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(saved);
    }
  }

  @Test
  void aPublicAddressWithoutATokenIsRefused() {
    Run r = run("console", "--bootstrap-servers", "127.0.0.1:1", "--bind-address", "0.0.0.0");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err())
        .startsWith("charstream console: console.bind-address is 0.0.0.0, not a loopback address")
        .contains("CHARSTREAM_CONSOLE_AUTH_TOKEN");
  }

  @Test
  void aConsoleWithoutAPortHasNothingToServe() {
    Run r = run("console", "--bootstrap-servers", "127.0.0.1:1", "--http-port", "-1");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("console.http-port is -1");
  }

  @Test
  void upChecksTheConsolesPortBeforeItStartsABroker() {
    Run r = run("up", "--port", "0", "--data-dir", dir.toString(), "--http-port", "70000");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("console.http-port").contains("70000");
    assertThat(dir.resolve("kafka")).as("no broker was started").doesNotExist();
  }
}
