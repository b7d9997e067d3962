package io.charstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * A checkpoint written by an earlier charstream (golden-v1.ckpt, format version 1) still loads, and
 * is written back byte for byte: the manifest's JSON on the wire does not change.
 */
class CheckpointGoldenTest {

  static byte[] golden() throws IOException {
    try (InputStream in =
        CheckpointGoldenTest.class.getResourceAsStream("/checkpoints/golden-v1.ckpt")) {
      assertThat(in).as("golden-v1.ckpt on the test class path").isNotNull();
      return in.readAllBytes();
    }
  }

  @Test
  void theGoldenCheckpointLoadsAndIsWrittenBackByteForByte() throws IOException {
    byte[] golden = golden();
    Checkpoint c = Checkpoint.fromBytes(golden);
    assertThat(c.modelConfig()).isEqualTo(new ModelConfig(19, 4, 8, 2, 0.1));
    TrainingConfig t = c.trainingConfig();
    assertThat(t.seqLen()).isEqualTo(8);
    assertThat(t.batchSize()).isEqualTo(3);
    assertThat(t.seed()).isEqualTo(-3L);
    assertThat(t.valSplit()).isEqualTo(TrainingConfig.ValidationSplit.BLOCKS);
    assertThat(t.lrSchedule()).isEqualTo(TrainingConfig.LearningRateSchedule.COSINE);
    assertThat(t.finalLearningRate()).isEqualTo(0.002);
    assertThat(c.vocabulary().size()).isEqualTo(19);
    assertThat(c.vocabulary().kind()).isEqualTo("learned");
    assertThat(c.history()).hasSize(1);
    assertThat(c.history().get(0).globalStep()).isEqualTo(23);
    assertThat(c.position()).isEqualTo(new TrainingPosition(1, 0, 23));
    assertThat(c.weights()).containsKeys("0_W", "1_RW", "3_b");
    assertThat(c.weights().get("1_RW").shape()).containsExactly(8, 32);
    assertThat(c.trainingState()).isPresent();
    assertThat(c.trainingState().get().rngState()).isEqualTo(-3084005441886510603L);
    assertThat(c.trainingState().get().arrays()).containsKeys("adam.state", "state.1.c");
    assertThat(c.toBytes()).isEqualTo(golden);
    assertThat(Checkpoint.fromBytes(c.withoutTrainingState().toBytes()).trainingState()).isEmpty();
  }

  @Test
  void aManifestWrittenBeforeValSplitAndLrScheduleReadsTheDocumentedDefaults() throws IOException {
    byte[] older =
        withManifest(
            golden(),
            m ->
                m.replace("    \"valSplit\" : \"blocks\",\n", "")
                    .replace("    \"lrSchedule\" : \"cosine\",\n", "")
                    .replace(",\n    \"finalLearningRate\" : 0.002", ""));
    assertThat(manifestOf(older)).doesNotContain("valSplit", "lrSchedule", "finalLearningRate");
    TrainingConfig t = Checkpoint.fromBytes(older).trainingConfig();
    assertThat(t.valSplit()).isEqualTo(TrainingConfig.ValidationSplit.TAIL);
    assertThat(t.lrSchedule()).isEqualTo(TrainingConfig.LearningRateSchedule.CONSTANT);
    assertThat(t.finalLearningRate()).isEqualTo(t.learningRate());
  }

  @Test
  void unknownManifestFieldsAreIgnored() throws IOException {
    byte[] extra =
        withManifest(
            golden(), m -> m.replaceFirst("\\{", "{\n  \"writtenBy\" : \"a later release\","));
    assertThat(Checkpoint.fromBytes(extra).modelConfig())
        .isEqualTo(new ModelConfig(19, 4, 8, 2, 0.1));
  }

  @Test
  void aMissingRequiredFieldIsNamed() throws IOException {
    byte[] missing = withManifest(golden(), m -> m.replace("    \"seqLen\" : 8,\n", ""));
    assertThatThrownBy(() -> Checkpoint.fromBytes(missing))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("lacks the field 'seqLen'")
        .hasMessageContaining("use another checkpoint or train again");
    byte[] noPosition =
        withManifest(golden(), m -> m.replace("\"position\"", "\"positionRenamed\""));
    assertThatThrownBy(() -> Checkpoint.fromBytes(noPosition))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("lacks the field 'position'");
  }

  @Test
  void anInvalidValueIsReportedAsDamage() throws IOException {
    byte[] invalid =
        withManifest(golden(), m -> m.replace("\"dropRate\" : 0.1", "\"dropRate\" : 7"));
    assertThatThrownBy(() -> Checkpoint.fromBytes(invalid))
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining("invalid value")
        .hasMessageContaining("dropRate");
  }

  @Test
  void nonFiniteLossesAreWrittenAsNullAndReadBackAsNaN() throws IOException {
    Checkpoint c = Checkpoint.fromBytes(golden());
    Checkpoint nan =
        new Checkpoint(
            c.modelConfig(),
            c.trainingConfig(),
            c.vocabulary(),
            List.of(new Metrics(1, 23, 2.5, Double.NaN, 1.0)),
            c.position(),
            c.weights(),
            null);
    byte[] bytes = nan.toBytes();
    assertThat(manifestOf(bytes)).contains("\"valLoss\" : null").doesNotContain("NaN");
    assertThat(Checkpoint.fromBytes(bytes).history()).isEqualTo(nan.history());
  }

  static String manifestOf(byte[] checkpoint) {
    int length = ByteBuffer.wrap(checkpoint, 12, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    return new String(checkpoint, 16, length, StandardCharsets.UTF_8);
  }

  /** The checkpoint with its manifest edited (and the manifest length in the header updated). */
  static byte[] withManifest(byte[] checkpoint, UnaryOperator<String> edit) {
    String before = manifestOf(checkpoint);
    String after = edit.apply(before);
    assertThat(after).as("the edit changed the manifest").isNotEqualTo(before);
    byte[] manifest = after.getBytes(StandardCharsets.UTF_8);
    int oldLength = before.getBytes(StandardCharsets.UTF_8).length;
    int dataStart = 16 + oldLength;
    ByteBuffer out =
        ByteBuffer.allocate(16 + manifest.length + checkpoint.length - dataStart)
            .order(ByteOrder.LITTLE_ENDIAN);
    out.put(checkpoint, 0, 12).putInt(manifest.length).put(manifest);
    out.put(checkpoint, dataStart, checkpoint.length - dataStart);
    return out.array();
  }
}
