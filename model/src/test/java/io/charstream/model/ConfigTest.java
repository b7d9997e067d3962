package io.charstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    assertThatThrownBy(() -> new ModelConfig(98, 0, 128, 2, 0)).hasMessageContaining("embeddingSize").hasMessageContaining("0");
    assertThatThrownBy(() -> new ModelConfig(98, 32, 128, 2, 1.0)).hasMessageContaining("dropRate");
    assertThatThrownBy(() -> new ModelConfig(1, 32, 128, 2, 0)).hasMessageContaining("vocabSize");
    assertThatThrownBy(() -> new TrainingConfig(0, 64, 32, 0.001, 5, 0.05, 1, 0)).hasMessageContaining("seqLen");
    assertThatThrownBy(() -> new TrainingConfig(64, 64, 32, -1, 5, 0.05, 1, 0)).hasMessageContaining("learningRate");
    assertThatThrownBy(() -> new TrainingConfig(64, 64, 32, 0.001, -5, 0.05, 1, 0)).hasMessageContaining("clipNorm");
    assertThatThrownBy(() -> new TrainingConfig(64, 64, 32, 0.001, 5, 0.7, 1, 0)).hasMessageContaining("valFraction");
  }

  @Test
  void parameterCountFollowsTheShape() {
    assertThat(new ModelConfig(10, 3, 5, 1, 0).parameterCount()).isEqualTo(10 * 3 + 4 * 5 * (3 + 5 + 1) + 5 * 10 + 10);
  }
}
