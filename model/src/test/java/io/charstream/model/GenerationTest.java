package io.charstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GenerationTest {

  static Checkpoint checkpointOf(MultiLayerNetwork net, ModelConfig config, Vocabulary vocabulary) {
    Map<String, Tensor> weights = CharRnnNetwork.exportWeights(net);
    return new Checkpoint(config, TrainingConfig.defaults(), vocabulary, List.of(), TrainingPosition.start(),
        weights, null);
  }

  /** DL4J is the oracle: the plain-Java step's logits equal log(rnnTimeStep's softmax) up to a constant. */
  @Test
  void logitsMatchDl4jRnnTimeStep() {
    ModelConfig config = new ModelConfig(98, 32, 64, 2, 0.0);
    MultiLayerNetwork net = CharRnnNetwork.create(config, 16, 0.001, 11L);
    GenerationModel model = GenerationModel.from(checkpointOf(net, config, Vocabulary.reference()));
    GenerationBatch batch = new GenerationBatch(model, 1);
    int[] prompt = Vocabulary.reference().encode("To be, or not").ids();
    batch.open(prompt, SamplingOptions.withSeed(1));

    net.rnnClearPreviousState();
    for (int t = 0; t < prompt.length - 1; t++) {
      net.rnnTimeStep(Nd4j.create(new float[] {prompt[t]}, new long[] {1, 1, 1}, 'c'));
    }
    int input = prompt[prompt.length - 1];
    for (int t = 0; t < 40; t++) {
      INDArray probs = net.rnnTimeStep(Nd4j.create(new float[] {input}, new long[] {1, 1, 1}, 'c'));
      int sampled = batch.step()[0];
      float[] logits = batch.lastLogits(0);
      double logSumExp = logSumExp(logits);
      for (int v = 0; v < config.vocabSize(); v++) {
        double expected = Math.log(probs.getDouble(0, v, 0));
        assertThat(logits[v] - logSumExp).as("step %d id %d", t, v).isCloseTo(expected, within(2e-4));
      }
      input = sampled;
    }
  }

  @Test
  void batchedOutputEqualsOneAtATime() {
    ModelConfig config = new ModelConfig(98, 16, 32, 2, 0.0);
    MultiLayerNetwork net = CharRnnNetwork.create(config, 16, 0.001, 12L);
    GenerationModel model = GenerationModel.from(checkpointOf(net, config, Vocabulary.reference()));
    TextGenerator generator = new TextGenerator(model);
    List<String> prompts = List.of("KING RICHARD", "a", "To be or not to be", "\u00e9t\u00e9 unknown", "Q");
    List<SamplingOptions> options = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      options.add(new SamplingOptions(1 + i, 0.5 + 0.25 * i, 100 + i));
    }
    List<String> together = generator.generateAll(prompts, 60, options);
    for (int i = 0; i < prompts.size(); i++) {
      assertThat(generator.generate(prompts.get(i), 60, options.get(i))).isEqualTo(together.get(i));
    }
    assertThat(together.get(0)).hasSize(60);
    // The same seed gives the same text; another seed, (almost surely) another text.
    assertThat(generator.generate("KING", 60, options.get(4)))
        .isEqualTo(generator.generate("KING", 60, options.get(4)))
        .isNotEqualTo(generator.generate("KING", 60, new SamplingOptions(5, 1.5, 999)));
  }

  /** Continuous batching: slots opened and closed while others run do not disturb them. */
  @Test
  void slotsJoiningAndLeavingDoNotChangeOtherSlots() {
    ModelConfig config = new ModelConfig(98, 8, 16, 1, 0.0);
    MultiLayerNetwork net = CharRnnNetwork.create(config, 16, 0.001, 13L);
    GenerationModel model = GenerationModel.from(checkpointOf(net, config, Vocabulary.reference()));
    int[] prompt = Vocabulary.reference().encode("hello").ids();
    GenerationBatch alone = new GenerationBatch(model, 1);
    alone.open(prompt, SamplingOptions.withSeed(7));
    GenerationBatch shared = new GenerationBatch(model, 3);
    shared.open(Vocabulary.reference().encode("xyz").ids(), SamplingOptions.withSeed(1));
    int slot = shared.open(prompt, SamplingOptions.withSeed(7));
    for (int t = 0; t < 50; t++) {
      if (t == 10) {
        shared.close(0);
      }
      if (t == 20) {
        shared.open(Vocabulary.reference().encode("late").ids(), SamplingOptions.withSeed(3));
      }
      assertThat(shared.step()[slot]).as("step %d", t).isEqualTo(alone.step()[0]);
    }
    assertThat(shared.freeSlots()).isEqualTo(1);
    shared.open(prompt, SamplingOptions.withSeed(1));
    assertThatThrownBy(() -> shared.open(prompt, SamplingOptions.withSeed(1)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("busy");
    assertThatThrownBy(() -> shared.open(new int[0], SamplingOptions.withSeed(1)))
        .hasMessageContaining("empty");
  }

  static double logSumExp(float[] x) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : x) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : x) {
      sum += Math.exp(v - max);
    }
    return max + Math.log(sum);
  }
}
