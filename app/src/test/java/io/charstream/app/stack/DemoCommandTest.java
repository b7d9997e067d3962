package io.charstream.app.stack;

import static io.charstream.app.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.cli.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code charstream demo} says about bad flags and files, before it starts anything. */
class DemoCommandTest {
  @TempDir Path dir;

  @Test
  void aMissingTextPathSaysSoAndExitsNonZero() {
    CliRun r = run("demo", "--text-path", dir.resolve("missing.txt").toString());
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err())
        .contains("charstream demo: --text-path " + dir.resolve("missing.txt") + ": no such file");
  }

  @Test
  void absurdTrainingValuesNameTheirFlag() throws Exception {
    Path corpus = Files.writeString(dir.resolve("c.txt"), "some text\n");
    CliRun r = run("demo", "--text-path", corpus.toString(), "--num-epochs", "0");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).startsWith("charstream demo: --num-epochs: ");
    CliRun v = run("demo", "--text-path", corpus.toString(), "--val-fraction", "0.9");
    assertThat(v.status()).isEqualTo(2);
    assertThat(v.err()).startsWith("charstream demo: --val-fraction: ");
  }

  @Test
  void aCorpusThatIsNotUtf8IsRefusedWithAFix() throws Exception {
    Path latin1 =
        Files.write(dir.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xe9, '\n'});
    CliRun r = run("demo", "--text-path", latin1.toString());
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).contains("is not valid UTF-8").contains("iconv");
  }

  @Test
  void noWorkersNeedsAnExternalCluster() {
    CliRun r = run("demo", "--no-workers");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("--no-workers needs --bootstrap-servers");
  }

  @Test
  void theCorpusIdComesFromTheFileName() {
    assertThat(DemoCommand.corpusIdOf(Path.of("data/tinyshakespeare.txt")))
        .isEqualTo("tinyshakespeare");
    assertThat(DemoCommand.corpusIdOf(Path.of("/x/War and Peace.utf8.txt")))
        .isEqualTo("War-and-Peace.utf8");
    assertThat(DemoCommand.corpusIdOf(Path.of(".txt"))).isEqualTo("corpus");
  }
}
