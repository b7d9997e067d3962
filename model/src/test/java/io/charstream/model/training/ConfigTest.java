package io.charstream.model.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.model.ModelConfig;
import io.charstream.model.TrainingConfig;
import io.charstream.model.Vocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigTest {

  @Test
  void defaultsAreTheReferences() {
    ModelConfig m = ModelConfig.defaults(98);
    assertThat(m).isEqualTo(new ModelConfig(98, 32, 128, 2, 0.0));
    TrainingConfig t = TrainingConfig.defaults();
    assertThat(t.seqLen()).isEqualTo(64);
    assertThat(t.batchSize()).isEqualTo(64);
    assertThat(t.numEpochs()).isEqualTo(32);
    assertThat(t.learningRate()).isEqualTo(0.001);
    assertThat(t.clipNorm()).isEqualTo(5.0);
    assertThat(t.valFraction()).isEqualTo(0.05);
  }

  @Test
  void invalidValuesAreNamedInTheError() {
    assertThatThrownBy(() -> new ModelConfig(98, 0, 128, 2, 0))
        .hasMessageContaining("embeddingSize")
        .hasMessageContaining("0");
    assertThatThrownBy(() -> new ModelConfig(98, 32, 128, 2, 1.0)).hasMessageContaining("dropRate");
    assertThatThrownBy(() -> new ModelConfig(1, 32, 128, 2, 0)).hasMessageContaining("vocabSize");
    assertThatThrownBy(() -> new TrainingConfig(0, 64, 32, 0.001, 5, 0.05, 1, 0))
        .hasMessageContaining("seqLen");
    assertThatThrownBy(() -> new TrainingConfig(64, 64, 32, -1, 5, 0.05, 1, 0))
        .hasMessageContaining("learningRate");
    assertThatThrownBy(() -> new TrainingConfig(64, 64, 32, 0.001, -5, 0.05, 1, 0))
        .hasMessageContaining("clipNorm");
    assertThatThrownBy(() -> new TrainingConfig(64, 64, 32, 0.001, 5, 0.7, 1, 0))
        .hasMessageContaining("valFraction");
  }

  @Test
  void cosineScheduleRunsFromTheRateToTheFinalRate() {
    TrainingConfig constant = TrainingConfig.defaults();
    assertThat(constant.learningRateAt(0, 100)).isEqualTo(0.001);
    assertThat(constant.learningRateAt(99, 100)).isEqualTo(0.001);
    TrainingConfig cosine =
        constant.withSchedule(
            TrainingConfig.ValidationSplit.TAIL,
            TrainingConfig.LearningRateSchedule.COSINE,
            0.0001);
    assertThat(cosine.learningRateAt(0, 101)).isEqualTo(0.001);
    assertThat(cosine.learningRateAt(50, 101))
        .isCloseTo(0.00055, org.assertj.core.api.Assertions.within(1e-12));
    assertThat(cosine.learningRateAt(100, 101))
        .isCloseTo(0.0001, org.assertj.core.api.Assertions.within(1e-12));
    assertThat(cosine.learningRateAt(30, 101)).isGreaterThan(cosine.learningRateAt(31, 101));
    assertThatThrownBy(
            () ->
                constant.withSchedule(
                    TrainingConfig.ValidationSplit.TAIL,
                    TrainingConfig.LearningRateSchedule.COSINE,
                    0.01))
        .hasMessageContaining("finalLearningRate");
    assertThatThrownBy(() -> TrainingConfig.ValidationSplit.parse("middle"))
        .hasMessageContaining("'tail' or 'blocks'");
  }

  @Test
  void blocksSplitHoldsOutTheEndOfEachBlock() {
    int[] ids = new int[40];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = i;
    }
    TrainingConfig blocks =
        new TrainingConfig(
            2,
            4,
            1,
            0.001,
            5,
            0.2,
            1,
            0,
            TrainingConfig.ValidationSplit.BLOCKS,
            TrainingConfig.LearningRateSchedule.CONSTANT,
            0.001);
    int[][] split = TrainingSession.split(ids, blocks);
    assertThat(split[0])
        .containsExactly(
            0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 20, 21, 22, 23, 24, 25, 26, 27,
            30, 31, 32, 33, 34, 35, 36, 37);
    assertThat(split[1]).containsExactly(8, 9, 18, 19, 28, 29, 38, 39);
    int[][] tail = TrainingSession.split(ids, new TrainingConfig(2, 4, 1, 0.001, 5, 0.2, 1, 0));
    assertThat(tail[1]).containsExactly(32, 33, 34, 35, 36, 37, 38, 39);
  }

  @Test
  void tailSplitHoldsOutTheLast111540CharactersOfTinyshakespeareAsNanoGptDoes() throws IOException {
    // nanoGPT's shakespeare_char: train = data[:int(n*0.9)], val = the rest.
    String text = Files.readString(Path.of("../data/tinyshakespeare.txt"));
    assertThat(text.length()).isEqualTo(1_115_394);
    assertThat(text.codePointCount(0, text.length())).isEqualTo(1_115_394);
    TrainingConfig tail =
        TrainingConfig.builder()
            .valSplit(TrainingConfig.ValidationSplit.TAIL)
            .valFraction(0.1)
            .build();
    Vocabulary vocabulary = Vocabulary.reference();
    int[][] split = TrainingSession.split(vocabulary.encode(text).ids(), tail);
    assertThat(split[0]).hasSize(1_003_854);
    assertThat(split[1]).hasSize(111_540);
    assertThat(split[0]).isEqualTo(vocabulary.encode(text.substring(0, 1_003_854)).ids());
    assertThat(split[1]).isEqualTo(vocabulary.encode(text.substring(1_003_854)).ids());
    assertThat(TrainingConfig.tailTrainingChars(1_115_394, 0.1)).isEqualTo(1_003_854);
  }

  @Test
  void tailSplitCutsWhereTheDecimalFractionSays() {
    // As doubles, 90 x (1 - 0.3) is 62.99999999999999 and 1,115,394 x 0.1 is 111539.40000000001.
    assertThat(TrainingConfig.tailTrainingChars(90, 0.3)).isEqualTo(63);
    assertThat(TrainingConfig.tailTrainingChars(10_007, 0.1)).isEqualTo(9_006);
    assertThat(TrainingConfig.tailTrainingChars(40, 0.2)).isEqualTo(32);
    assertThat(TrainingConfig.tailTrainingChars(1_000, 0.0)).isEqualTo(1_000);
    int[] ids = new int[90];
    TrainingConfig tail =
        TrainingConfig.builder()
            .valSplit(TrainingConfig.ValidationSplit.TAIL)
            .valFraction(0.3)
            .build();
    assertThat(TrainingSession.split(ids, tail)[1]).hasSize(27);
  }

  @Test
  void parameterCountFollowsTheShape() {
    assertThat(new ModelConfig(10, 3, 5, 1, 0).parameterCount())
        .isEqualTo(10 * 3 + 4 * 5 * (3 + 5 + 1) + 5 * 10 + 10);
  }
}
