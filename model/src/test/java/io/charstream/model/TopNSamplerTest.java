package io.charstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class TopNSamplerTest {

  /**
   * The naive twin: full softmax, sort every id, zero all but the top n, renormalise, walk the CDF.
   */
  static int naive(float[] logits, SamplingOptions o, RandomGenerator random) {
    int v = logits.length;
    double[] p = new double[v];
    double max = Double.NEGATIVE_INFINITY;
    for (float x : logits) {
      max = Math.max(max, x);
    }
    double sum = 0;
    for (int i = 0; i < v; i++) {
      p[i] = Math.exp((logits[i] - max) / o.temperature());
      sum += p[i];
    }
    for (int i = 0; i < v; i++) {
      p[i] /= sum;
    }
    List<Integer> order = byLogit(logits, v);
    for (int r = o.topN(); r < v; r++) {
      p[order.get(r)] = 0;
    }
    double kept = 0;
    for (double x : p) {
      kept += x;
    }
    double u = random.nextDouble();
    double cdf = 0;
    int last = -1;
    for (int i = 0; i < v; i++) {
      if (p[i] > 0) {
        cdf += p[i] / kept;
        last = i;
        if (u < cdf) {
          return i;
        }
      }
    }
    return last;
  }

  /** Ids 0..v-1 by logit, largest first; ties: the lower id first. */
  private static List<Integer> byLogit(float[] logits, int v) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < v; i++) {
      order.add(i);
    }
    order.sort(Comparator.comparingDouble((Integer i) -> -logits[i]).thenComparingInt(i -> i));
    return order;
  }

  /** The sampler as it was before it stopped allocating a vocabulary-sized row per draw. */
  private static int previous(
      float[] logits, int vocabSize, SamplingOptions options, SplittableRandom random) {
    int n = Math.min(options.topN(), vocabSize);
    // Its top n (best first, ties: the lower id) came from an insertion sort; the same as sorting.
    List<Integer> order = byLogit(logits, vocabSize);
    int[] kept = new int[n];
    double[] keptLogit = new double[n];
    for (int i = 0; i < n; i++) {
      kept[i] = order.get(i);
      keptLogit[i] = logits[kept[i]];
    }
    double max = keptLogit[0];
    double t = options.temperature();
    double[] weight = new double[vocabSize];
    double total = 0;
    for (int i = 0; i < n; i++) {
      double w = Math.exp((keptLogit[i] - max) / t);
      weight[kept[i]] = w;
      total += w;
    }
    double u = random.nextDouble() * total;
    double cumulative = 0;
    int last = -1;
    for (int id = 0; id < vocabSize; id++) {
      if (weight[id] > 0) {
        cumulative += weight[id];
        last = id;
        if (u < cumulative) {
          return id;
        }
      }
    }
    return last;
  }

  @Test
  void drawsExactlyWhatThePreviousImplementationDrew() {
    SplittableRandom data = new SplittableRandom(11);
    for (int trial = 0; trial < 20000; trial++) {
      int vocab = 1 + data.nextInt(120);
      float[] logits = new float[vocab];
      boolean coarse = data.nextBoolean();
      for (int i = 0; i < vocab; i++) {
        double g = data.nextGaussian() * (coarse ? 4 : 30);
        logits[i] = coarse ? (float) (Math.round(g) / 2.0) : (float) g;
      }
      SamplingOptions o =
          new SamplingOptions(
              1 + data.nextInt(Math.min(vocab + 2, 8)), 0.05 + data.nextDouble() * 2, trial);
      SplittableRandom a = new SplittableRandom(trial);
      SplittableRandom b = new SplittableRandom(trial);
      assertThat(TopNSampler.INSTANCE.sample(logits, 0, vocab, o, a))
          .as("trial %d", trial)
          .isEqualTo(previous(logits, vocab, o, b));
      // The same number of draws from the stream's random source.
      assertThat(a.nextLong()).as("trial %d", trial).isEqualTo(b.nextLong());
    }
  }

  @Test
  void agreesWithTheNaiveLoop() {
    SplittableRandom data = new SplittableRandom(5);
    int disagreements = 0;
    for (int trial = 0; trial < 3000; trial++) {
      int vocab = 2 + data.nextInt(120);
      float[] logits = new float[vocab];
      for (int i = 0; i < vocab; i++) {
        // Coarse values so ties occur.
        logits[i] = (float) (Math.round(data.nextGaussian() * 4) / 2.0);
      }
      SamplingOptions o =
          new SamplingOptions(1 + data.nextInt(vocab + 2), 0.2 + data.nextDouble() * 2, trial);
      int fast = TopNSampler.INSTANCE.sample(logits, 0, vocab, o, new SplittableRandom(trial));
      int slow = naive(logits, o, new SplittableRandom(trial));
      if (fast != slow) {
        disagreements++;
      }
    }
    // The two only differ where the uniform number falls within rounding distance of a CDF step.
    assertThat(disagreements).isLessThanOrEqualTo(1);
  }

  @Test
  void topOneIsGreedyAndOnlyTopNIdsAreDrawn() {
    float[] logits = {0.1f, 3f, 2.9f, -1f, 2.8f, 0f};
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < 200; i++) {
      assertThat(TopNSampler.INSTANCE.sample(logits, 0, 6, new SamplingOptions(1, 1.0, 0), r))
          .isEqualTo(1);
      assertThat(TopNSampler.INSTANCE.sample(logits, 0, 6, new SamplingOptions(3, 1.0, 0), r))
          .isIn(1, 2, 4);
    }
  }

  @Test
  void drawsInProportionToRenormalisedProbabilities() {
    float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.2), -50f};
    SplittableRandom r = new SplittableRandom(2);
    int[] counts = new int[4];
    int draws = 100_000;
    for (int i = 0; i < draws; i++) {
      counts[TopNSampler.INSTANCE.sample(logits, 0, 4, new SamplingOptions(2, 1.0, 0), r)]++;
    }
    assertThat(counts[0] / (double) draws).isBetween(0.615, 0.635); // 0.5 / 0.8
    assertThat(counts[1] / (double) draws).isBetween(0.365, 0.385); // 0.3 / 0.8
    assertThat(counts[2] + counts[3]).isZero();
  }

  @Test
  void optionsValidateThemselves() {
    assertThatThrownBy(() -> new SamplingOptions(0, 1, 0)).hasMessageContaining("topN");
    assertThatThrownBy(() -> new SamplingOptions(3, 0, 0)).hasMessageContaining("temperature");
    assertThatThrownBy(() -> new SamplingOptions(3, Double.NaN, 0))
        .hasMessageContaining("temperature");
  }
}
