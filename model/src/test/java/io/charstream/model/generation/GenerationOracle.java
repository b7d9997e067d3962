package io.charstream.model.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.charstream.model.Sampler;
import io.charstream.model.SamplingOptions;
import io.charstream.model.TopNSampler;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J is the oracle of the generation step: the probabilities the fused step samples from, step by
 * step, against {@code rnnTimeStep}'s softmax on the same weights, fed the same ids.
 */
public final class GenerationOracle {

  /** Largest |p - p_dl4j| allowed for any id at any step (measured: at most 2e-8). */
  public static final double PROBABILITY_TOLERANCE = 1e-6;

  /** Largest |log p - log p_dl4j| allowed (checks the small probabilities too, relatively). */
  public static final double LOG_PROBABILITY_TOLERANCE = 2e-4;

  private GenerationOracle() {}

  /**
   * Primes one slot and DL4J with {@code prompt}, then steps both {@code steps} times, each fed the
   * id the slot sampled, and asserts that their next-character distributions agree.
   *
   * @param net a network with the stock DL4J layers, holding {@code step}'s weights
   * @return the largest |p - p_dl4j| seen
   */
  public static double assertMatchesRnnTimeStep(
      MultiLayerNetwork net, FusedStep step, String prompt, int steps) {
    KernelUnderTest.check(step);
    float[] seen = new float[step.vocabSize()];
    // Records the logits the slot samples from: [vocab].
    Sampler recording =
        (logits, offset, vocabSize, options, random) -> {
          System.arraycopy(logits, offset, seen, 0, vocabSize);
          return TopNSampler.INSTANCE.sample(logits, offset, vocabSize, options, random);
        };
    FusedGenerationBatch batch = new FusedGenerationBatch(step, 1, recording);
    int[] ids = step.vocabulary().encode(prompt).ids();
    batch.open(ids, SamplingOptions.withSeed(1));
    net.rnnClearPreviousState();
    for (int t = 0; t < ids.length - 1; t++) {
      net.rnnTimeStep(Nd4j.create(new float[] {ids[t]}, new long[] {1, 1, 1}, 'c'));
    }
    int input = ids[ids.length - 1];
    double maxError = 0;
    for (int t = 0; t < steps; t++) {
      INDArray expected =
          net.rnnTimeStep(Nd4j.create(new float[] {input}, new long[] {1, 1, 1}, 'c'));
      input = batch.step()[0];
      double logSumExp = logSumExp(seen);
      for (int v = 0; v < seen.length; v++) {
        double logP = seen[v] - logSumExp;
        double p = expected.getDouble(0, v, 0);
        assertThat(Math.exp(logP))
            .as("probability at step %d of id %d", t, v)
            .isCloseTo(p, within(PROBABILITY_TOLERANCE));
        assertThat(logP)
            .as("log-probability at step %d of id %d", t, v)
            .isCloseTo(Math.log(p), within(LOG_PROBABILITY_TOLERANCE));
        maxError = Math.max(maxError, Math.abs(Math.exp(logP) - p));
      }
    }
    return maxError;
  }

  private static double logSumExp(float[] x) {
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
