package io.charstream.model.fused;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.charstream.model.Checkpoint;
import io.charstream.model.GenerationBatch;
import io.charstream.model.GenerationModel;
import io.charstream.model.SamplingOptions;
import io.charstream.model.Vocabulary;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The fused generation step against DL4J's rnnTimeStep (the oracle) and against itself one at a time. */
class FusedStepTest {

  @AfterEach
  void resetThreads() {
    FusedRuntime.setThreads(FusedRuntime.configuredThreads());
  }

  /** A stock network of the engine's shape with random weights, and its checkpoint. */
  record Model(MultiLayerNetwork net, Checkpoint checkpoint) {
    static Model random(int embedding, int hidden, int layers, long seed) {
      BenchNetwork.Spec spec = new BenchNetwork.Spec(98, embedding, hidden, layers, 16, 0.001, 1.0);
      MultiLayerNetwork net = new MultiLayerNetwork(BenchNetwork.configuration(spec, false, seed));
      net.init();
      net.setParams(LayerPair.uniform(new Random(seed), net.params().shape(), 0.4));
      return new Model(net, BenchNetwork.checkpoint(net, spec));
    }
  }

  @Test
  void logitsMatchDl4jRnnTimeStep() {
    Model m = Model.random(32, 64, 2, 11);
    FusedGenerationBatch batch = new FusedGenerationBatch(FusedStep.from(m.checkpoint()), 1);
    int[] prompt = Vocabulary.reference().encode("To be, or not").ids();
    batch.open(prompt, SamplingOptions.withSeed(1));
    m.net().rnnClearPreviousState();
    for (int t = 0; t < prompt.length - 1; t++) {
      m.net().rnnTimeStep(Nd4j.create(new float[] {prompt[t]}, new long[] {1, 1, 1}, 'c'));
    }
    int input = prompt[prompt.length - 1];
    for (int t = 0; t < 40; t++) {
      INDArray probs = m.net().rnnTimeStep(Nd4j.create(new float[] {input}, new long[] {1, 1, 1}, 'c'));
      int sampled = batch.step()[0];
      float[] logits = batch.lastLogits(0);
      double logSumExp = logSumExp(logits);
      for (int v = 0; v < 98; v++) {
        assertThat(logits[v] - logSumExp).as("step %d id %d", t, v)
            .isCloseTo(Math.log(probs.getDouble(0, v, 0)), within(2e-4));
      }
      input = sampled;
    }
  }

  @Test
  void logitsMatchTheEnginesGenerationModel() {
    Model m = Model.random(16, 48, 3, 5);
    FusedGenerationBatch fused = new FusedGenerationBatch(FusedStep.from(m.checkpoint()), 1);
    GenerationBatch plain = new GenerationBatch(GenerationModel.from(m.checkpoint()), 1);
    int[] prompt = Vocabulary.reference().encode("KING RICHARD").ids();
    fused.open(prompt, SamplingOptions.withSeed(3));
    plain.open(prompt, SamplingOptions.withSeed(3));
    for (int t = 0; t < 30; t++) {
      int id = plain.step()[0];
      fused.step();
      float[] expected = plain.lastLogits(0);
      float[] actual = fused.lastLogits(0);
      for (int v = 0; v < expected.length; v++) {
        assertThat(actual[v]).as("step %d id %d", t, v).isCloseTo(expected[v], within(5e-5f));
      }
      // Feed both the same id, so that a rare different draw does not make the states diverge.
      forceNext(fused, plain, id);
    }
  }

  @Test
  void batchedOutputEqualsOneAtATime() {
    FusedRuntime.setThreads(2);
    Model m = Model.random(16, 32, 2, 12);
    FusedStep step = FusedStep.from(m.checkpoint());
    List<String> prompts = new ArrayList<>();
    List<SamplingOptions> options = new ArrayList<>();
    for (int i = 0; i < 21; i++) {
      prompts.add(i % 3 == 0 ? "KING RICHARD" : "To be or not to be".substring(i % 7));
      options.add(new SamplingOptions(1 + i % 4, 0.5 + 0.25 * (i % 5), 100 + i));
    }
    List<String> together = generate(step, prompts, options, 80);
    for (int i = 0; i < prompts.size(); i++) {
      assertThat(generate(step, List.of(prompts.get(i)), List.of(options.get(i)), 80).get(0))
          .as("prompt %d", i).isEqualTo(together.get(i));
    }
    assertThat(together.get(0)).hasSize(80).isNotEqualTo(together.get(3));
  }

  @Test
  void slotsJoiningAndLeavingDoNotChangeOtherSlots() {
    FusedRuntime.setThreads(2);
    Model m = Model.random(8, 16, 1, 13);
    FusedStep step = FusedStep.from(m.checkpoint());
    int[] prompt = Vocabulary.reference().encode("hello").ids();
    FusedGenerationBatch alone = new FusedGenerationBatch(step, 1);
    alone.open(prompt, SamplingOptions.withSeed(7));
    StringBuilder expected = new StringBuilder();
    for (int t = 0; t < 50; t++) {
      expected.append((char) alone.step()[0]);
    }
    FusedGenerationBatch busy = new FusedGenerationBatch(step, 32);
    for (int i = 0; i < 20; i++) {
      busy.open(Vocabulary.reference().encode("noise " + i).ids(), SamplingOptions.withSeed(i));
    }
    int slot = busy.open(prompt, SamplingOptions.withSeed(7));
    StringBuilder actual = new StringBuilder();
    for (int t = 0; t < 50; t++) {
      if (t == 10) {
        busy.close(3);
        busy.close(15);
      }
      if (t == 20) {
        busy.open(Vocabulary.reference().encode("late").ids(), SamplingOptions.withSeed(99));
      }
      actual.append((char) busy.step()[slot]);
    }
    assertThat(actual.toString()).isEqualTo(expected.toString());
  }

  private static List<String> generate(FusedStep step, List<String> prompts, List<SamplingOptions> options,
      int length) {
    FusedGenerationBatch batch = new FusedGenerationBatch(step, prompts.size());
    int[] slots = new int[prompts.size()];
    List<StringBuilder> out = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      slots[i] = batch.open(step.vocabulary().encode(prompts.get(i)).ids(), options.get(i));
      out.add(new StringBuilder());
    }
    for (int t = 0; t < length; t++) {
      int[] ids = batch.step();
      for (int i = 0; i < slots.length; i++) {
        out.get(i).append(step.vocabulary().decode(ids[slots[i]]));
      }
    }
    return out.stream().map(StringBuilder::toString).toList();
  }

  /** Makes both batches' slot 0 feed {@code id} next, whatever each sampled. */
  private static void forceNext(FusedGenerationBatch fused, GenerationBatch plain, int id) {
    // Both keep the last sampled id as the next input; re-priming is not possible without closing,
    // so the test relies on the samplers agreeing, and checks that they did.
    assertThat(fused.lastSampled(0)).as("the two implementations drew the same id").isEqualTo(id);
  }

  private static double logSumExp(float[] v) {
    double max = Double.NEGATIVE_INFINITY;
    for (float x : v) {
      max = Math.max(max, x);
    }
    double sum = 0;
    for (float x : v) {
      sum += Math.exp(x - max);
    }
    return max + Math.log(sum);
  }
}
