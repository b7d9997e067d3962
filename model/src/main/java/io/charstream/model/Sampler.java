package io.charstream.model;

import java.util.random.RandomGenerator;

/** Picks the next id from one row of logits. */
@FunctionalInterface
public interface Sampler {

  /**
   * @param logits unnormalised log-probabilities, {@code vocabSize} values from {@code offset}
   * @return the sampled id in [0, vocabSize)
   */
  int sample(
      float[] logits, int offset, int vocabSize, SamplingOptions options, RandomGenerator random);
}
