package io.charstream.app.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.charstream.app.local.LocalCommandsTest;
import io.charstream.app.local.LocalCommandsTest.Run;
import io.charstream.model.Checkpoint;
import io.charstream.model.TrainingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench table's result file, its --reproduce check, and train's --preset, on a small text. */
class BenchTableTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  static Path corpus;
  static Path result;

  @BeforeAll
  static void runTable() throws Exception {
    corpus = dir.resolve("small.txt");
    StringBuilder text = new StringBuilder();
    for (int i = 0; text.length() < 30_000; i++) {
      text.append("LINE ").append(i).append(": Before we proceed any further, hear me speak.\n");
    }
    Files.writeString(corpus, text);
    result = dir.resolve("out/small-reference.json");
    Run run =
        LocalCommandsTest.run(
            "bench",
            "table",
            "--text-path",
            corpus.toString(),
            "--num-epochs",
            "2",
            // A training flag on top of the preset, as train takes it.
            "--rnn-size",
            "24",
            "--out",
            result.toString(),
            "--checkpoint-path",
            dir.resolve("ckpt/model.ckpt").toString());
    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.err()).contains("epoch: 2,").contains("result written to " + result);
    assertThat(JSON.readTree(run.out())).isEqualTo(JSON.readTree(result.toFile()));
  }

  @Test
  void resultFileHasTheCurveTheConfigAndWhereItRan() throws Exception {
    JsonNode r = JSON.readTree(result.toFile());
    assertThat(r.path("preset").asText()).isEqualTo("reference");
    assertThat(r.path("corpus").path("name").asText()).isEqualTo("small");
    assertThat(r.path("corpus").path("sha256").asText()).hasSize(64);
    assertThat(r.path("total_duration_s").asDouble()).isPositive();
    assertThat(r.path("config").path("num_epochs").asInt()).isEqualTo(2);
    assertThat(r.path("config").path("learning_rate").asDouble()).isEqualTo(0.001);
    assertThat(r.path("config").path("rnn_size").asInt()).isEqualTo(24);
    assertThat(r.path("config").path("vocabulary").asText()).isEqualTo("reference");
    assertThat(r.path("command").asText())
        .isEqualTo(
            "charstream bench table --text-path "
                + corpus
                + " --num-epochs 2 --rnn-size 24 --out "
                + result
                + " --checkpoint-path "
                + dir.resolve("ckpt/model.ckpt"));
    assertThat(r.path("config").path("val_split").asText()).isEqualTo("blocks");
    assertThat(r.path("git_commit").asText()).isNotEmpty();
    assertThat(r.path("machine").path("cores").asInt()).isPositive();
    assertThat(r.path("epochs")).hasSize(2);
    for (JsonNode e : r.path("epochs")) {
      assertThat(e.path("duration_s").asDouble()).isPositive();
      assertThat(e.path("train_loss").asDouble()).isBetween(0.0, 5.0);
      assertThat(e.path("val_loss").asDouble()).isBetween(0.0, 5.0);
      assertThat(e.path("chars_per_s").asLong()).isPositive();
    }
    assertThat(r.path("epochs").get(1).path("train_loss").asDouble())
        .isLessThan(r.path("epochs").get(0).path("train_loss").asDouble());
    assertThat(r.path("final_train_loss").asDouble())
        .isEqualTo(r.path("epochs").get(1).path("train_loss").asDouble());
    assertThat(dir.resolve("ckpt/model.ckpt")).exists();
    assertThat(Checkpoint.read(dir.resolve("ckpt/model.ckpt.best")).history())
        .hasSize(r.path("best_val_loss").path("epoch").asInt());
  }

  @Test
  void reproduceAcceptsTheSameRunAndRejectsAChangedCurveOrText() throws Exception {
    Run same =
        LocalCommandsTest.run(
            "bench", "table", "--reproduce", result.toString(), "--text-path", corpus.toString());
    assertThat(same.status()).as(same.err()).isZero();
    assertThat(JSON.readTree(same.out()).path("reproduced").asBoolean()).isTrue();

    ObjectNode changed = (ObjectNode) JSON.readTree(result.toFile());
    ObjectNode second = (ObjectNode) changed.path("epochs").get(1);
    second.put("train_loss", second.path("train_loss").asDouble() + 0.1);
    Path tampered = dir.resolve("tampered.json");
    JSON.writeValue(tampered.toFile(), changed);
    Run differs =
        LocalCommandsTest.run(
            "bench",
            "table",
            "--reproduce",
            tampered.toString(),
            "--text-path",
            corpus.toString(),
            "--num-epochs",
            "2");
    assertThat(differs.status()).isEqualTo(1);
    assertThat(JSON.readTree(differs.out()).path("reproduced").asBoolean()).isFalse();
    assertThat(differs.err()).contains("differs from " + tampered);

    Path other = dir.resolve("other.txt");
    Files.writeString(other, Files.readString(corpus) + "x");
    Run wrongText =
        LocalCommandsTest.run(
            "bench", "table", "--reproduce", result.toString(), "--text-path", other.toString());
    assertThat(wrongText.status()).isEqualTo(2);
    assertThat(wrongText.err()).contains("is not the text").contains("data/fetch.sh");
  }

  @Test
  void trainTakesThePresetAndExplicitFlagsOverrideIt() throws Exception {
    Path ckpt = dir.resolve("preset/model.ckpt");
    Run run =
        LocalCommandsTest.run(
            "train",
            "--preset",
            "recommended",
            "--text-path",
            corpus.toString(),
            "--checkpoint-path",
            ckpt.toString(),
            "--log-path",
            dir.resolve("preset.log").toString(),
            "--num-epochs",
            "1",
            "--rnn-size",
            "16",
            "--embedding-size",
            "8",
            "--batch-size",
            "8");
    assertThat(run.status()).as(run.err()).isZero();
    TrainingConfig t = Checkpoint.read(ckpt).trainingConfig();
    assertThat(t.lrSchedule()).isEqualTo(TrainingConfig.LearningRateSchedule.COSINE);
    assertThat(t.learningRate()).isEqualTo(0.003);
    assertThat(t.finalLearningRate()).isEqualTo(0.00015);
    assertThat(t.batchSize()).isEqualTo(8);
    assertThat(Checkpoint.read(ckpt).modelConfig().dropRate()).isEqualTo(0.05);
    assertThat(Checkpoint.read(ckpt).modelConfig().rnnSize()).isEqualTo(16);

    Run bad =
        LocalCommandsTest.run(
            "train",
            "--preset",
            "fastest",
            "--text-path",
            corpus.toString(),
            "--checkpoint-path",
            ckpt.toString(),
            "--log-path",
            dir.resolve("preset.log").toString());
    assertThat(bad.status()).isEqualTo(2);
    assertThat(bad.err())
        .contains("--preset must be 'reference', 'recommended', 'fast' or 'large', got 'fastest'");
  }
}
