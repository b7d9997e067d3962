package io.charstream.model;

import java.util.random.RandomGenerator;

/**
 * The reference's sampling: p = softmax(logits / temperature); keep the topN largest probabilities
 * (ties: the lower id ranks first), renormalise, and draw by walking the kept ids in id order with
 * one uniform number, as numpy's {@code random.choice(len(p), p=p)} does. Computed in double
 * precision, as the reference does ("need 64 floating point precision").
 */
public final class TopNSampler implements Sampler {

  public static final TopNSampler INSTANCE = new TopNSampler();

  private TopNSampler() {}

  @Override
  public int sample(
      float[] logits, int offset, int vocabSize, SamplingOptions options, RandomGenerator random) {
    int n = Math.min(options.topN(), vocabSize);
    // The kept ids, best first: an insertion sort into n places beats sorting the whole row.
    int[] kept = new int[n];
    double[] keptLogit = new double[n];
    int count = 0;
    for (int id = 0; id < vocabSize; id++) {
      double v = logits[offset + id];
      if (count == n && !(v > keptLogit[n - 1])) {
        continue;
      }
      int pos = count < n ? count++ : n - 1;
      while (pos > 0 && v > keptLogit[pos - 1]) {
        kept[pos] = kept[pos - 1];
        keptLogit[pos] = keptLogit[pos - 1];
        pos--;
      }
      kept[pos] = id;
      keptLogit[pos] = v;
    }
    // softmax restricted to the kept ids equals the full softmax renormalised over them.
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
}
