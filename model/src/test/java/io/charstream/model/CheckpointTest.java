package io.charstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.model.generation.GenerationTest;
import io.charstream.model.training.CharRnnNetwork;
import io.charstream.model.training.CharRnnTrainer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

  private static Checkpoint trained;

  /** One small training run shared by the tests (a checkpoint is immutable). */
  static synchronized Checkpoint trained() {
    if (trained == null) {
      trained = train();
    }
    return trained;
  }

  private static Checkpoint train() {
    String corpus = "hello world, hello checkpoint! ".repeat(20);
    Vocabulary vocabulary = Vocabulary.learn(corpus + "\u00e9\uD83D\uDE00");
    ModelConfig model = new ModelConfig(vocabulary.size(), 4, 8, 2, 0.1);
    TrainingConfig training =
        new TrainingConfig(
            8,
            3,
            1,
            0.01,
            5.0,
            0.1,
            -3L,
            0,
            TrainingConfig.ValidationSplit.BLOCKS,
            TrainingConfig.LearningRateSchedule.COSINE,
            0.002);
    return CharRnnTrainer.start(model, training, vocabulary, corpus)
        .run(TrainingListener.NONE, () -> false)
        .checkpoint();
  }

  @Test
  void roundTripsEverythingThroughBytesAndFiles(@TempDir Path dir) throws Exception {
    Checkpoint c = trained();
    assertThat(c.hasTrainingState()).isTrue();
    byte[] bytes = c.toBytes();
    Checkpoint back = Checkpoint.fromBytes(bytes);
    assertThat(back.modelConfig()).isEqualTo(c.modelConfig());
    assertThat(back.trainingConfig()).isEqualTo(c.trainingConfig());
    assertThat(back.vocabulary()).isEqualTo(c.vocabulary());
    assertThat(back.history()).isEqualTo(c.history());
    assertThat(back.metrics()).isPresent().isEqualTo(c.metrics());
    assertThat(back.position()).isEqualTo(c.position());
    assertThat(back.weights()).isEqualTo(c.weights());
    assertThat(back.trainingState()).isEqualTo(c.trainingState());
    assertThat(back.toBytes()).isEqualTo(bytes);

    Path file = dir.resolve("sub/model.ckpt");
    c.write(file);
    assertThat(Checkpoint.read(file).toBytes()).isEqualTo(bytes);
    assertThat(Files.list(file.getParent())).containsExactly(file);

    Checkpoint light = c.withoutTrainingState();
    assertThat(light.hasTrainingState()).isFalse();
    assertThat(Checkpoint.fromBytes(light.toBytes()).weights()).isEqualTo(c.weights());
    assertThat(light.toBytes().length).isLessThan(bytes.length);
  }

  @Test
  void manifestIsReadableJson() {
    byte[] bytes = trained().toBytes();
    int length = ByteBuffer.wrap(bytes, 12, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    String manifest = new String(bytes, 16, length, java.nio.charset.StandardCharsets.UTF_8);
    assertThat(manifest)
        .contains("\"formatVersion\" : 1")
        .contains("\"vocabulary\"")
        .contains("\"name\" : \"adam.state\"")
        .contains("\"rngState\"");
  }

  @Test
  void weightsOnlyCheckpointIsAbout850KbAtDefaults() {
    ModelConfig config = ModelConfig.defaults(98);
    Checkpoint c =
        GenerationTest.checkpointOf(
            CharRnnNetwork.create(config, 64, 0.001, 1L), config, Vocabulary.reference());
    int size = c.toBytes().length;
    assertThat(size).isBetween(229_794 * 4, 229_794 * 4 + 16_000);
  }

  @Test
  void rejectsForeignFilesOtherVersionsAndDamage(@TempDir Path dir) {
    byte[] bytes = trained().withoutTrainingState().toBytes();
    assertThatThrownBy(() -> Checkpoint.fromBytes("PK\u0003\u0004 a zip file".getBytes()))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("not a charstream checkpoint")
        .hasMessageContaining("charstream train");

    byte[] otherVersion = bytes.clone();
    ByteBuffer.wrap(otherVersion, 8, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(2);
    assertThatThrownBy(() -> Checkpoint.fromBytes(otherVersion))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("format version 2")
        .hasMessageContaining("reads version 1")
        .hasMessageContaining("release that wrote it");

    assertThatThrownBy(() -> Checkpoint.fromBytes(Arrays.copyOf(bytes, bytes.length - 10)))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("truncated");

    byte[] flipped = bytes.clone();
    flipped[flipped.length - 5] ^= 0x40;
    assertThatThrownBy(() -> Checkpoint.fromBytes(flipped))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("CRC-32");

    assertThatThrownBy(() -> Checkpoint.read(dir.resolve("missing.ckpt")))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining("charstream train");
  }

  @Test
  void rejectsAVocabularyThatDoesNotFitTheConfig() {
    assertThatThrownBy(
            () ->
                new Checkpoint(
                    ModelConfig.defaults(50),
                    TrainingConfig.defaults(),
                    Vocabulary.reference(),
                    List.of(),
                    TrainingPosition.start(),
                    java.util.Map.of(),
                    null))
        .hasMessageContaining("98 ids")
        .hasMessageContaining("vocabSize 50");
  }
}
