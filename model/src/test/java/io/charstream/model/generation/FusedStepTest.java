package io.charstream.model.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.model.Checkpoint;
import io.charstream.model.Sampler;
import io.charstream.model.SamplingOptions;
import io.charstream.model.TopNSampler;
import io.charstream.model.Vocabulary;
import io.charstream.model.kernel.FusedRuntime;
import io.charstream.model.layers.LayerPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The fused generation step against DL4J's rnnTimeStep (the oracle) and against itself one at a
 * time, on the kernel the test execution requires ({@link KernelUnderTest}).
 */
@Tag(KernelUnderTest.TAG)
public class FusedStepTest {

  @AfterEach
  void resetThreads() {
    FusedRuntime.setThreads(FusedRuntime.configuredThreads());
  }

  /** A stock network of the engine's shape with random weights, and its checkpoint. */
  public record Model(MultiLayerNetwork net, Checkpoint checkpoint) {
    public static Model random(int embedding, int hidden, int layers, long seed) {
      BenchNetwork.Spec spec = new BenchNetwork.Spec(98, embedding, hidden, layers, 16, 0.001, 1.0);
      MultiLayerNetwork net = new MultiLayerNetwork(BenchNetwork.configuration(spec, false, seed));
      net.init();
      net.setParams(LayerPair.uniform(new Random(seed), net.params().shape(), 0.4));
      return new Model(net, BenchNetwork.checkpoint(net, spec));
    }
  }

  /** Two layers, and three (the middle layer's input rows are another layer's output). */
  @Test
  void probabilitiesMatchDl4jRnnTimeStep() {
    Model two = Model.random(32, 64, 2, 11);
    GenerationOracle.assertMatchesRnnTimeStep(
        two.net(), KernelUnderTest.check(FusedStep.from(two.checkpoint())), "To be, or not", 40);
    Model three = Model.random(16, 48, 3, 5);
    GenerationOracle.assertMatchesRnnTimeStep(
        three.net(), KernelUnderTest.check(FusedStep.from(three.checkpoint())), "KING RICHARD", 30);
  }

  /**
   * 40 streams on 2 threads (GEMMs of 20 rows) against each stream alone (1 row): the same text and
   * the same logits bit for bit at every step.
   */
  @Test
  void batchedOutputEqualsOneAtATime() {
    FusedRuntime.setThreads(2);
    Model m = Model.random(16, 32, 2, 12);
    FusedStep step = KernelUnderTest.check(FusedStep.from(m.checkpoint()));
    List<String> prompts = new ArrayList<>();
    List<SamplingOptions> options = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      prompts.add(i % 3 == 0 ? "KING RICHARD" : "To be or not to be".substring(i % 7));
      options.add(new SamplingOptions(1 + i % 4, 0.5 + 0.25 * (i % 5), 100 + i));
    }
    Run together = generate(step, prompts, options, 80);
    for (int i = 0; i < prompts.size(); i++) {
      Run alone = generate(step, List.of(prompts.get(i)), List.of(options.get(i)), 80);
      assertThat(alone.texts().get(0)).as("prompt %d", i).isEqualTo(together.texts().get(i));
      List<float[]> expected = alone.logits().get(0);
      List<float[]> actual = together.logits().get(i);
      assertThat(actual).hasSize(80);
      for (int t = 0; t < expected.size(); t++) {
        assertThat(bits(actual.get(t)))
            .as("logits of prompt %d at step %d, bit for bit", i, t)
            .isEqualTo(bits(expected.get(t)));
      }
    }
    assertThat(together.texts().get(0)).hasSize(80).isNotEqualTo(together.texts().get(3));
  }

  /**
   * The default spec's sizes (hidden 128: OpenBLAS runs the LSTM products in calls of a few rows,
   * see {@link io.charstream.model.kernel.BlasRows#rowsPerCall}) on the kernel this run names
   * ({@link KernelUnderTest}): the oracle, and 40 streams on 2 threads (shares of 20 rows: several
   * GEMM calls, the last one short) against each stream alone, logits bit for bit.
   */
  @Test
  void defaultSpecSizesMatchTheOracleAndThemselvesOnTheSelectedKernel() {
    Model m = Model.random(32, 128, 2, 21);
    FusedStep step = KernelUnderTest.check(FusedStep.from(m.checkpoint()));
    GenerationOracle.assertMatchesRnnTimeStep(m.net(), step, "To be, or not", 30);
    FusedRuntime.setThreads(2);
    List<String> prompts = new ArrayList<>();
    List<SamplingOptions> options = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      prompts.add("To be or not to be, that is".substring(i % 11));
      options.add(new SamplingOptions(1 + i % 4, 0.5 + 0.25 * (i % 5), 300 + i));
    }
    Run together = generate(step, prompts, options, 40);
    for (int i = 0; i < prompts.size(); i += 3) {
      Run alone = generate(step, List.of(prompts.get(i)), List.of(options.get(i)), 40);
      assertThat(alone.texts().get(0)).as("prompt %d", i).isEqualTo(together.texts().get(i));
      for (int t = 0; t < 40; t++) {
        assertThat(bits(alone.logits().get(0).get(t)))
            .as("prompt %d, logits at step %d", i, t)
            .isEqualTo(bits(together.logits().get(i).get(t)));
      }
    }
  }

  /**
   * Every occupancy of every small capacity: a share of the step can hold more rows than capacity /
   * threads when fewer threads run (capacity 16 with 9-15 open slots overflowed its scratch once),
   * and each occupancy still equals one-at-a-time generation.
   */
  @Test
  void everyOccupancyOfSmallCapacitiesStepsLikeOneAtATime() {
    FusedRuntime.setThreads(2);
    Model m = Model.random(8, 16, 2, 5);
    FusedStep step = KernelUnderTest.check(FusedStep.from(m.checkpoint()));
    for (int capacity : new int[] {1, 7, 16, 17, 30, 33}) {
      for (int open = 1; open <= capacity; open++) {
        List<String> prompts = new ArrayList<>();
        List<SamplingOptions> options = new ArrayList<>();
        for (int i = 0; i < open; i++) {
          prompts.add("slot " + i);
          options.add(SamplingOptions.withSeed(1000L * capacity + i));
        }
        FusedGenerationBatch batch = new FusedGenerationBatch(step, capacity);
        int[] slots = new int[open];
        for (int i = 0; i < open; i++) {
          slots[i] = batch.open(step.vocabulary().encode(prompts.get(i)).ids(), options.get(i));
        }
        int[] together = new int[open];
        for (int t = 0; t < 3; t++) {
          int[] ids = batch.step();
          for (int i = 0; i < open; i++) {
            together[i] = 31 * together[i] + ids[slots[i]];
          }
        }
        int last = open - 1;
        FusedGenerationBatch alone = new FusedGenerationBatch(step, 1);
        alone.open(step.vocabulary().encode(prompts.get(last)).ids(), options.get(last));
        int expected = 0;
        for (int t = 0; t < 3; t++) {
          expected = 31 * expected + alone.step()[0];
        }
        assertThat(together[last]).as("capacity %d, %d open", capacity, open).isEqualTo(expected);
      }
    }
  }

  /**
   * Prompts of 1 to 25 ids, five of them twice, primed together (both threads, fewer rows at each
   * later position; a repeated prompt primed once and its state copied) into the free slots between
   * running ones: the slots sequential opens would take, and each stream's text and logits equal to
   * priming it alone; the running slots are not disturbed.
   */
  @Test
  void primingTogetherIntoScatteredSlotsEqualsOneAtATime() {
    FusedRuntime.setThreads(2);
    Model m = Model.random(16, 32, 2, 17);
    FusedStep step = KernelUnderTest.check(FusedStep.from(m.checkpoint()));
    String text = "Now is the winter of our discontent made glorious";
    FusedGenerationBatch batch = new FusedGenerationBatch(step, 48);
    for (int i = 0; i < 10; i++) {
      batch.open(step.vocabulary().encode("noise " + i).ids(), SamplingOptions.withSeed(i));
    }
    batch.step();
    batch.close(2);
    batch.close(5);
    batch.close(7);
    int[] running = {0, 1, 3, 4, 6, 8, 9};
    List<int[]> ids = new ArrayList<>();
    List<SamplingOptions> options = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      // the last five repeat earlier prompts (primed once, the state copied) with other options
      ids.add(
          i < 25
              ? step.vocabulary().encode(text.substring(i % 7, i % 7 + 1 + i)).ids()
              : ids.get(3 * (i - 25)).clone());
      options.add(new SamplingOptions(1 + i % 3, 0.75 + 0.1 * (i % 4), 500 + i));
    }
    int[] slots = batch.openAll(ids, options);
    int[] expectedSlots = new int[30];
    expectedSlots[0] = 2;
    expectedSlots[1] = 5;
    expectedSlots[2] = 7;
    for (int i = 3; i < 30; i++) {
      expectedSlots[i] = 7 + i;
    }
    assertThat(slots).isEqualTo(expectedSlots);
    assertThat(batch.openCount()).isEqualTo(37);
    int[][] together = new int[30][20];
    int[] noise4 = new int[20];
    for (int t = 0; t < 20; t++) {
      int[] sampled = batch.step();
      for (int i = 0; i < 30; i++) {
        together[i][t] = sampled[slots[i]];
      }
      noise4[t] = sampled[running[3]];
    }
    for (int i = 0; i < 30; i++) {
      FusedGenerationBatch alone = new FusedGenerationBatch(step, 1);
      alone.open(ids.get(i), options.get(i));
      for (int t = 0; t < 20; t++) {
        assertThat(together[i][t]).as("prompt %d, step %d", i, t).isEqualTo(alone.step()[0]);
      }
    }
    FusedGenerationBatch alone = new FusedGenerationBatch(step, 1);
    alone.open(step.vocabulary().encode("noise 4").ids(), SamplingOptions.withSeed(4));
    alone.step();
    for (int t = 0; t < 20; t++) {
      assertThat(noise4[t]).as("a running slot, step %d", t).isEqualTo(alone.step()[0]);
    }
  }

  @Test
  void openAllChecksEverythingBeforeOpeningAnything() {
    Model m = Model.random(8, 16, 1, 3);
    FusedStep step = KernelUnderTest.check(FusedStep.from(m.checkpoint()));
    FusedGenerationBatch batch = new FusedGenerationBatch(step, 3);
    int[] ok = step.vocabulary().encode("ok").ids();
    SamplingOptions o = SamplingOptions.withSeed(1);
    assertThatThrownBy(() -> batch.openAll(List.of(ok, new int[0]), List.of(o, o)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
    assertThatThrownBy(() -> batch.openAll(List.of(ok, ok, ok, ok), List.of(o, o, o, o)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("busy");
    assertThatThrownBy(() -> batch.openAll(List.of(ok, ok), List.of(o)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2 prompts but 1 sampling options");
    assertThat(batch.openCount()).isZero();
    assertThat(batch.openAll(List.of(ok, ok, ok), List.of(o, o, o))).containsExactly(0, 1, 2);
  }

  @Test
  void slotsJoiningAndLeavingDoNotChangeOtherSlots() {
    FusedRuntime.setThreads(2);
    Model m = Model.random(8, 16, 1, 13);
    FusedStep step = KernelUnderTest.check(FusedStep.from(m.checkpoint()));
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

  /** Per stream: its text, and the logits it sampled from at each step. */
  private record Run(List<String> texts, List<List<float[]>> logits) {}

  private static Run generate(
      FusedStep step, List<String> prompts, List<SamplingOptions> options, int length) {
    // Each stream has its own options object; the sampler is called with it (from any thread).
    Map<SamplingOptions, List<float[]>> seen = Collections.synchronizedMap(new IdentityHashMap<>());
    for (SamplingOptions o : options) {
      seen.put(o, new ArrayList<>());
    }
    Sampler recording =
        (logits, offset, vocabSize, o, random) -> {
          seen.get(o).add(Arrays.copyOfRange(logits, offset, offset + vocabSize));
          return TopNSampler.INSTANCE.sample(logits, offset, vocabSize, o, random);
        };
    FusedGenerationBatch batch = new FusedGenerationBatch(step, prompts.size(), recording);
    // Several prompts are primed together (openAll), one alone through open.
    List<int[]> promptIds = new ArrayList<>();
    List<StringBuilder> out = new ArrayList<>();
    for (String prompt : prompts) {
      promptIds.add(step.vocabulary().encode(prompt).ids());
      out.add(new StringBuilder());
    }
    int[] slots =
        promptIds.size() == 1
            ? new int[] {batch.open(promptIds.get(0), options.get(0))}
            : batch.openAll(promptIds, options);
    for (int t = 0; t < length; t++) {
      int[] ids = batch.step();
      for (int i = 0; i < slots.length; i++) {
        out.get(i).append(step.vocabulary().decode(ids[slots[i]]));
      }
    }
    return new Run(
        out.stream().map(StringBuilder::toString).toList(),
        options.stream().map(seen::get).toList());
  }

  private static int[] bits(float[] values) {
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Float.floatToRawIntBits(values[i]);
    }
    return out;
  }

  @Test
  void aStepIsSplitByEachThreadsRecentSpeedWithinTheShareBounds() {
    int[] bounds = new int[3];
    FusedGenerationBatch.split(new double[] {1, 1}, 64, 2, 48, bounds);
    assertThat(bounds).containsExactly(0, 32, 64);
    FusedGenerationBatch.split(new double[] {1.3, 1.0}, 64, 2, 48, bounds);
    assertThat(bounds).containsExactly(0, 36, 64); // the faster thread takes more rows
    FusedGenerationBatch.split(new double[] {1.0, 5.0}, 64, 2, 48, bounds);
    assertThat(bounds).containsExactly(0, 32, 64); // a share past its scratch: cut evenly
    FusedGenerationBatch.split(new double[] {0, 0}, 64, 2, 48, bounds);
    assertThat(bounds).containsExactly(0, 32, 64); // nothing measured yet
    int[] three = new int[4];
    FusedGenerationBatch.split(new double[] {2, 1, 1}, 20, 3, 12, three);
    assertThat(three).containsExactly(0, 10, 15, 20);
  }
}
