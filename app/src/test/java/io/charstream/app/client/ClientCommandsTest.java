package io.charstream.app.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad flags and files stop the client commands before they touch Kafka, with a one-line reason. */
class ClientCommandsTest {
  record Run(int status, String err) {}

  static Run run(String... args) {
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      // An address nothing listens on: the commands must fail before they would connect.
      String[] full = new String[args.length + 2];
      System.arraycopy(args, 0, full, 0, args.length);
      full[args.length] = "--bootstrap-servers";
      full[args.length + 1] = "127.0.0.1:1";
      return new Run(Main.newCommandLine().execute(full), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(saved);
    }
  }

  @Test
  void submitRejectsAnAbsurdHyperparameterNamingTheFlag() {
    Run r = run("submit", "--model-id", "m", "--corpus-id", "c", "--batch-size", "0");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("--batch-size").contains("must be >= 1");
    Run drop = run("submit", "--model-id", "m", "--corpus-id", "c", "--drop-rate", "1.5");
    assertThat(drop.err()).contains("--drop-rate");
    Run id = run("submit", "--model-id", "bad id", "--corpus-id", "c");
    assertThat(id.status()).isEqualTo(2);
    assertThat(id.err()).contains("--model-id").contains("not a valid id");
  }

  @Test
  void corpusPutRefusesMissingEmptyAndNonUtf8Files(@TempDir Path dir) throws Exception {
    assertThat(run("corpus", "put", "--corpus-id", "c", dir.resolve("nope.txt").toString()).err())
        .contains("cannot read");
    Path empty = Files.writeString(dir.resolve("empty.txt"), "");
    assertThat(run("corpus", "put", "--corpus-id", "c", empty.toString()).err()).contains("is empty");
    Path latin1 = Files.write(dir.resolve("latin1.txt"), "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
    Run r = run("corpus", "put", "--corpus-id", "c", latin1.toString());
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("not valid UTF-8");
    assertThat(run("corpus", "put", "--corpus-id", "no spaces", latin1.toString()).err()).contains("not a valid id");
  }

  @Test
  void trainerRefusesABadConfigFileAtStartUp(@TempDir Path dir) throws Exception {
    Path config = Files.writeString(dir.resolve("trainer.properties"), "max.concurrent.jobs=0\n");
    Run r = run("trainer", "--config", config.toString());
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("max.concurrent.jobs").contains("trainer.properties");
    Path typo = Files.writeString(dir.resolve("typo.properties"), "max.concurent.jobs=2\n");
    assertThat(run("trainer", "--config", typo.toString()).err()).contains("unknown config key 'max.concurent.jobs'");
  }

  @Test
  void trainerPrintsItsConfigTable() {
    PrintStream saved = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertThat(Main.newCommandLine().execute("trainer", "--config-doc")).isZero();
    } finally {
      System.setOut(saved);
    }
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("`training-state.every.steps`")
        .contains("CHARSTREAM_MAX_CONCURRENT_JOBS");
  }
}
