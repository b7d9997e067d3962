package io.charstream.model.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.model.Checkpoint;
import io.charstream.model.ModelConfig;
import io.charstream.model.SamplingOptions;
import io.charstream.model.Tensor;
import io.charstream.model.Vocabulary;
import io.charstream.model.layers.FusedLayers;
import io.charstream.model.training.CharRnnNetwork;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The engine's generation ({@link GenerationModel#from}) on checkpoints of the engine's own
 * network, on the kernel the test execution requires ({@link KernelUnderTest}).
 */
@Tag(KernelUnderTest.TAG)
public class GenerationTest {

  public static Checkpoint checkpointOf(
      MultiLayerNetwork net, ModelConfig config, Vocabulary vocabulary) {
    Map<String, Tensor> weights = CharRnnNetwork.exportWeights(net);
    return Checkpoint.untrained(config, vocabulary, weights);
  }

  /** The engine's network with DL4J's stock layers (the oracle), initialised as training starts. */
  private static MultiLayerNetwork stockNetwork(ModelConfig config, long seed) {
    MultiLayerConfiguration conf = CharRnnNetwork.configuration(config, 16, 0.001, seed);
    FusedLayers.useFused(conf, false);
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    CharRnnNetwork.initialiseLikePyTorch(net, config, seed);
    return net;
  }

  /**
   * DL4J is the oracle: a checkpoint as training writes it, through the generation model's loader.
   */
  @Test
  void probabilitiesMatchDl4jRnnTimeStep() {
    ModelConfig config = new ModelConfig(98, 32, 64, 2, 0.0);
    MultiLayerNetwork net = stockNetwork(config, 11L);
    GenerationModel model =
        KernelUnderTest.check(
            GenerationModel.from(checkpointOf(net, config, Vocabulary.reference())));
    assertThat(model).isInstanceOf(FusedStep.class);
    GenerationOracle.assertMatchesRnnTimeStep(net, (FusedStep) model, "To be, or not", 40);
  }

  @Test
  void batchedOutputEqualsOneAtATime() {
    ModelConfig config = new ModelConfig(98, 16, 32, 2, 0.0);
    GenerationModel model = modelOf(config, 12L);
    TextGenerator generator = new TextGenerator(model);
    List<String> prompts =
        List.of("KING RICHARD", "a", "To be or not to be", "\u00e9t\u00e9 unknown", "Q");
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

  /**
   * Several samples of one prompt primed once ({@link GenerationStreams#openShared}): each slot's
   * ids and logits are those of opening the prompt alone with its options, bit for bit.
   */
  @Test
  void sharedPromptSamplesEqualSeparatelyPrimedOnes() {
    ModelConfig config = new ModelConfig(98, 8, 16, 2, 0.0);
    GenerationModel model = modelOf(config, 13L);
    int[] prompt = Vocabulary.reference().encode("KING RICHARD").ids();
    List<SamplingOptions> options =
        List.of(
            new SamplingOptions(3, 1.0, 7),
            new SamplingOptions(3, 1.0, 8),
            new SamplingOptions(5, 0.7, 9));
    GenerationStreams shared = model.newStreams(6);
    int other = shared.open(Vocabulary.reference().encode("Q").ids(), SamplingOptions.withSeed(1));
    int[] slots = shared.openShared(prompt, options);
    assertThat(slots).hasSize(3).doesNotContain(other);
    GenerationStreams alone = model.newStreams(3);
    int[] aloneSlots = new int[3];
    for (int i = 0; i < 3; i++) {
      aloneSlots[i] = alone.open(prompt, options.get(i));
    }
    for (int step = 0; step < 40; step++) {
      int[] a = shared.step();
      int[] b = alone.step();
      for (int i = 0; i < 3; i++) {
        assertThat(a[slots[i]]).as("step %d sample %d", step, i).isEqualTo(b[aloneSlots[i]]);
        assertThat(shared.lastLogits(slots[i])).isEqualTo(alone.lastLogits(aloneSlots[i]));
      }
    }
  }

  /**
   * Continuous batching: slots opened and closed while others run do not disturb them; freed slots
   * are reused.
   */
  @Test
  void slotsJoiningAndLeavingDoNotChangeOtherSlots() {
    ModelConfig config = new ModelConfig(98, 8, 16, 1, 0.0);
    GenerationModel model = modelOf(config, 13L);
    int[] prompt = Vocabulary.reference().encode("hello").ids();
    GenerationStreams alone = model.newStreams(1);
    alone.open(prompt, SamplingOptions.withSeed(7));
    GenerationStreams shared = model.newStreams(3);
    assertThat(shared.vocabulary()).isEqualTo(model.vocabulary());
    shared.open(Vocabulary.reference().encode("xyz").ids(), SamplingOptions.withSeed(1));
    int slot = shared.open(prompt, SamplingOptions.withSeed(7));
    for (int t = 0; t < 50; t++) {
      if (t == 10) {
        shared.close(0);
        assertThat(shared.openCount()).isEqualTo(1);
      }
      if (t == 20) {
        // Reuses slot 0: its old state must not leak into the new stream.
        assertThat(
                shared.open(
                    Vocabulary.reference().encode("late").ids(), SamplingOptions.withSeed(3)))
            .isZero();
      }
      int[] ids = shared.step();
      assertThat(ids).hasSize(3);
      assertThat(ids[2]).as("a free slot samples nothing").isEqualTo(-1);
      assertThat(ids[slot]).as("step %d", t).isEqualTo(alone.step()[0]);
    }
    assertThat(shared.freeSlots()).isEqualTo(1);
    shared.open(prompt, SamplingOptions.withSeed(1));
    assertThat(shared.freeSlots()).isZero();
    assertThat(shared.openCount()).isEqualTo(3);
    assertThatThrownBy(() -> shared.open(prompt, SamplingOptions.withSeed(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("busy");
    shared.close(1);
    assertThatThrownBy(() -> shared.close(1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not open");
    assertThatThrownBy(() -> shared.open(new int[0], SamplingOptions.withSeed(1)))
        .hasMessageContaining("empty");
    assertThatThrownBy(() -> shared.open(new int[] {98}, SamplingOptions.withSeed(1)))
        .hasMessageContaining("outside the vocabulary");
  }

  /**
   * A reused slot starts from a zero state: the same prompt and seed give the same text as a fresh
   * batch.
   */
  @Test
  void aReusedSlotGeneratesAsAFreshOne() {
    ModelConfig config = new ModelConfig(98, 8, 16, 2, 0.0);
    GenerationModel model = modelOf(config, 14L);
    int[] prompt = Vocabulary.reference().encode("To be").ids();
    GenerationStreams batch = model.newStreams(1);
    int[] fresh = new int[40];
    batch.open(prompt, SamplingOptions.withSeed(5));
    for (int t = 0; t < fresh.length; t++) {
      fresh[t] = batch.step()[0];
    }
    batch.close(0);
    batch.open(
        Vocabulary.reference().encode("something else entirely").ids(),
        SamplingOptions.withSeed(6));
    batch.step();
    batch.close(0);
    batch.open(prompt, SamplingOptions.withSeed(5));
    for (int t = 0; t < fresh.length; t++) {
      assertThat(batch.step()[0]).as("step %d", t).isEqualTo(fresh[t]);
    }
  }

  /** A stock network of {@code config} with weights from {@code seed}, as the engine loads it. */
  private static GenerationModel modelOf(ModelConfig config, long seed) {
    return KernelUnderTest.check(
        GenerationModel.from(
            checkpointOf(stockNetwork(config, seed), config, Vocabulary.reference())));
  }
}
