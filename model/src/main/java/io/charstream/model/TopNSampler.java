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
    if (n == 1) {
      random.nextDouble(); // one draw per sample, as the general path, whatever n is
      return argmax(logits, offset, vocabSize);
    }
    // The kept ids, best first: an insertion sort into n places beats sorting the whole row. Most
    // ids fail the first comparison with the n-th best, so the scan is one float compare per id.
    int[] kept = new int[n];
    float[] keptLogit = new float[n];
    int count = 0;
    float worst = Float.NEGATIVE_INFINITY;
    for (int id = 0; id < vocabSize; id++) {
      float v = logits[offset + id];
      if (count == n && !(v > worst)) {
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
      worst = keptLogit[n - 1];
    }
    // softmax restricted to the kept ids equals the full softmax renormalised over them: n exp()
    // calls, summed best first.
    double max = keptLogit[0];
    double t = options.temperature();
    double[] weight = new double[n];
    double total = 0;
    for (int i = 0; i < n; i++) {
      double w = Math.exp((keptLogit[i] - max) / t);
      weight[i] = w;
      total += w;
    }
    double u = random.nextDouble() * total;
    // Walk the kept ids in id order (numpy's choice over the renormalised row): sort the n kept
    // entries by id, then accumulate; ids whose weight underflowed to 0 are not drawn.
    for (int i = 1; i < n; i++) {
      int id = kept[i];
      double w = weight[i];
      int j = i;
      while (j > 0 && kept[j - 1] > id) {
        kept[j] = kept[j - 1];
        weight[j] = weight[j - 1];
        j--;
      }
      kept[j] = id;
      weight[j] = w;
    }
    double cumulative = 0;
    int last = -1;
    for (int i = 0; i < n; i++) {
      if (weight[i] > 0) {
        cumulative += weight[i];
        last = kept[i];
        if (u < cumulative) {
          return kept[i];
        }
      }
    }
    return last;
  }

  /** Top-1: the best id (the lowest on ties). */
  private static int argmax(float[] logits, int offset, int vocabSize) {
    int best = 0;
    float bestLogit = logits[offset];
    for (int id = 1; id < vocabSize; id++) {
      float v = logits[offset + id];
      if (v > bestLogit) {
        best = id;
        bestLogit = v;
      }
    }
    return best;
  }
}
