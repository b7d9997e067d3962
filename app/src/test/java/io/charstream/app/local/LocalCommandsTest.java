package io.charstream.app.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.Main;
import io.charstream.model.Checkpoint;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** train, --restore and generate through the real command line on a tiny corpus. */
public class LocalCommandsTest {

  @TempDir static Path dir;
  static Path corpus;

  public record Run(int status, String out, String err) {
    /** The one line of a usage error (exit status 2), stripped. */
    String usageErrorLine() {
      assertThat(status).as(err).isEqualTo(2);
      String line = err.strip();
      assertThat(line).doesNotContain("\n");
      return line;
    }
  }

  public static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = Main.newCommandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int status = cmd.execute(args);
    return new Run(status, out.toString(), err.toString());
  }

  @BeforeAll
  static void writeCorpus() throws Exception {
    corpus = dir.resolve("corpus.txt");
    Files.writeString(
        corpus, "First Citizen:\nBefore we proceed any further, hear me speak.\n".repeat(40));
  }

  @Test
  void trainsRestoresAndGenerates() throws Exception {
    Path ckpt = dir.resolve("ckpt/model.ckpt");
    Path log = dir.resolve("logs/main.log");
    String[] common = {
      "--text-path",
      corpus.toString(),
      "--checkpoint-path",
      ckpt.toString(),
      "--log-path",
      log.toString(),
      "--batch-size",
      "4",
      "--seq-len",
      "16",
      "--rnn-size",
      "16",
      "--embedding-size",
      "8"
    };
    Run first = run(concat(new String[] {"train", "--num-epochs", "1"}, common));
    assertThat(first.status()).as(first.err()).isZero();
    assertThat(first.err())
        .containsPattern("epoch: 1, duration: \\d+s, loss: [0-9.]+\\. val loss: [0-9.]+\\.")
        .contains("model saved: " + ckpt)
        .contains("number of batches: ");
    Checkpoint one = Checkpoint.read(ckpt);
    assertThat(one.history()).hasSize(1);
    assertThat(one.hasTrainingState()).isTrue();

    Run second = run(concat(new String[] {"train", "--num-epochs", "2", "--restore"}, common));
    assertThat(second.status()).as(second.err()).isZero();
    assertThat(second.err())
        .contains("restoring model")
        .contains("epoch: 2,")
        .doesNotContain("epoch: 1,")
        .contains("is ignored with --restore");
    Checkpoint two = Checkpoint.read(ckpt);
    assertThat(two.history()).hasSize(2);
    assertThat(two.history().get(0)).isEqualTo(one.history().get(0));

    // The same seed text and random seed twice: the same text.
    String[] firstSeeded = {
      "generate",
      "--checkpoint-path",
      ckpt.toString(),
      "--seed",
      "First",
      "--length",
      "50",
      "--random-seed",
      "3",
      "--log-path",
      log.toString()
    };
    Run generated = run(firstSeeded);
    assertThat(generated.status()).as(generated.err()).isZero();
    assertThat(generated.out()).startsWith("First").hasSizeGreaterThanOrEqualTo(5 + 40);
    Run again = run(firstSeeded);
    assertThat(again.out()).isEqualTo(generated.out());
    Run fromText =
        run(
            "generate",
            "--checkpoint-path",
            ckpt.toString(),
            "--text-path",
            corpus.toString(),
            "--length",
            "20",
            "--log-path",
            log.toString());
    assertThat(fromText.status()).isZero();
    assertThat(fromText.err()).contains("seed sequence generated from");
    assertThat(Files.readString(log, StandardCharsets.UTF_8))
        .contains(" - train - INFO - epoch: 2,")
        .contains(" - generate - INFO - generating with seed: \"First\".");
  }

  @Test
  void badFlagsAndFilesGiveOneLineThatSaysWhatToDo() throws Exception {
    Path log = dir.resolve("bad.log");
    Run missingFlag = run("train", "--text-path", corpus.toString());
    assertThat(missingFlag.usageErrorLine()).contains("--checkpoint-path").contains("--help");

    Run badNumber = trainOnCorpus("--seq-len", "abc");
    assertThat(badNumber.usageErrorLine()).contains("--seq-len");

    Run badValue = trainOnCorpus("--seq-len", "0", "--log-path", log.toString());
    assertThat(badValue.usageErrorLine()).startsWith("charstream train: --seq-len must be");

    Run noFile =
        run("train", "--text-path", dir.resolve("nope.txt").toString(), "--checkpoint-path", "x");
    assertThat(noFile.status()).isEqualTo(2);
    assertThat(noFile.err().strip())
        .isEqualTo(
            "charstream train: no such file: " + dir.resolve("nope.txt") + " (check --text-path)");

    Path latin1 = dir.resolve("latin1.txt");
    Files.write(latin1, new byte[] {'c', 'a', 'f', (byte) 0xe9});
    Run notUtf8 = run("train", "--text-path", latin1.toString(), "--checkpoint-path", "x");
    assertThat(notUtf8.err()).contains("is not valid UTF-8").contains("iconv");

    Path notCheckpoint = dir.resolve("not.ckpt");
    Files.writeString(notCheckpoint, "hello");
    Run badCheckpoint =
        run(
            "generate",
            "--checkpoint-path",
            notCheckpoint.toString(),
            "--seed",
            "x",
            "--log-path",
            log.toString());
    assertThat(badCheckpoint.usageErrorLine()).contains("not a charstream checkpoint");

    Run bothSeeds = run("generate", "--checkpoint-path", "x", "--seed", "a", "--text-path", "b");
    assertThat(bothSeeds.usageErrorLine()).contains("mutually exclusive");
  }

  /** {@code train} on the corpus, checkpoints to {@code x}, then {@code more} flags. */
  private static Run trainOnCorpus(String... more) {
    return run(
        concat(
            new String[] {"train", "--text-path", corpus.toString(), "--checkpoint-path", "x"},
            more));
  }

  static String[] concat(String[] a, String[] b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
