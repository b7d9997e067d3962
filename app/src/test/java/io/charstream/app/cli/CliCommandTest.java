package io.charstream.app.cli;

import static io.charstream.app.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A {@link CliCommand}'s error line names the command as typed, sub-commands included. */
class CliCommandTest {
  @TempDir Path dir;

  @Test
  void aSubCommandsErrorNamesItsParentToo() {
    Path missing = dir.resolve("missing.txt");
    CliRun r = run("bench", "train", "--text-path", missing.toString());
    assertThat(r.status()).isEqualTo(Commands.USAGE);
    assertThat(r.err())
        .startsWith("charstream bench train: no such file: " + missing + " (check --text-path)");
    CliRun put = run("corpus", "put", "--corpus-id", "bad id", missing.toString());
    assertThat(put.status()).isEqualTo(Commands.USAGE);
    assertThat(put.err())
        .startsWith("charstream corpus put: --corpus-id 'bad id' is not a valid id");
  }

  @Test
  void aTopLevelCommandsErrorNamesIt() {
    CliRun r = run("broker", "--port", "70000");
    assertThat(r.status()).isEqualTo(Commands.USAGE);
    assertThat(r.err()).startsWith("charstream broker: --port must be 0..65535, got 70000");
  }
}
