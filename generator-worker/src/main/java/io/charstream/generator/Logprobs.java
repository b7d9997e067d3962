package io.charstream.generator;

import io.charstream.model.Vocabulary;
import io.charstream.schemas.message.GenerateResponse.Alternative;
import io.charstream.schemas.message.GenerateResponse.CharLogprob;
import java.util.ArrayList;
import java.util.List;

/**
 * Log-probabilities of a generated character from the logits it was sampled from: the natural log
 * of the softmax of the raw logits (the model's distribution, before temperature and top-n), and
 * the {@code top} most probable characters with theirs.
 */
final class Logprobs {

  private Logprobs() {}

  /**
   * @param logits unnormalised log-probabilities, one per vocabulary id ({@code vocabulary.size()}
   *     values)
   * @param id the sampled id
   * @param top how many alternatives (most probable first; ties by lower id)
   */
  static CharLogprob of(float[] logits, int id, int top, Vocabulary vocabulary) {
    int v = vocabulary.size();
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < v; i++) {
      max = Math.max(max, logits[i]);
    }
    double sum = 0;
    for (int i = 0; i < v; i++) {
      sum += Math.exp(logits[i] - max);
    }
    double logZ = max + Math.log(sum);
    // [top] ids of the largest logits, descending: an insertion into a short sorted list.
    int k = Math.min(top, v);
    int[] best = new int[k];
    int filled = 0;
    for (int i = 0; i < v && k > 0; i++) {
      if (filled == k && logits[i] <= logits[best[k - 1]]) {
        continue;
      }
      int at = filled < k ? filled++ : k - 1;
      while (at > 0 && logits[best[at - 1]] < logits[i]) {
        best[at] = best[at - 1];
        at--;
      }
      best[at] = i;
    }
    List<Alternative> alternatives = new ArrayList<>(k);
    for (int j = 0; j < filled; j++) {
      alternatives.add(new Alternative(vocabulary.decode(best[j]), logits[best[j]] - logZ));
    }
    return new CharLogprob(vocabulary.decode(id), logits[id] - logZ, alternatives);
  }
}
