package io.charstream.model.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.charstream.model.ModelConfig;
import io.charstream.model.Vocabulary;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class CharRnnNetworkTest {

  private static final ModelConfig SMALL = new ModelConfig(11, 4, 8, 2, 0.0);

  @Test
  void hasTheReferenceParameterCountAtDefaults() {
    ModelConfig config = ModelConfig.defaults(Vocabulary.reference().size());
    assertThat(config.parameterCount()).isEqualTo(229_794L);
    MultiLayerNetwork net = CharRnnNetwork.create(config, 64, 0.001, 1L);
    assertThat(net.numParams()).isEqualTo(229_794L);
  }

  @Test
  void initialisesLikePyTorch() {
    ModelConfig config = ModelConfig.defaults(98);
    MultiLayerNetwork net = CharRnnNetwork.create(config, 64, 0.001, 1L);
    INDArray embedding = net.getParam("0_W");
    assertThat(embedding.meanNumber().doubleValue()).isCloseTo(0.0, within(0.05));
    assertThat(embedding.stdNumber().doubleValue()).isCloseTo(1.0, within(0.05));
    double bound = 1.0 / Math.sqrt(128);
    for (String key : new String[] {"1_W", "1_RW", "1_b", "2_W", "3_W", "3_b"}) {
      INDArray p = net.getParam(key);
      assertThat(p.maxNumber().doubleValue())
          .as(key)
          .isLessThanOrEqualTo(bound)
          .isGreaterThan(bound * 0.9);
      assertThat(p.minNumber().doubleValue())
          .as(key)
          .isGreaterThanOrEqualTo(-bound)
          .isLessThan(-bound * 0.9);
    }
  }

  /**
   * The step's loss is the mean per-character cross entropy, and it continues from the carried
   * state.
   */
  @Test
  void stepLossIsMeanPerCharacterCrossEntropyFromTheCarriedState() {
    int batch = 3;
    int seqLen = 5;
    float[][] x = randomIds(2, batch * seqLen, 7L);
    float[][] y = randomIds(2, batch * seqLen, 8L);
    // A learning rate so small that the weights do not change between the two steps.
    MultiLayerNetwork net = CharRnnNetwork.create(SMALL, seqLen, 1e-20, 3L);
    MultiLayerNetwork oracle = CharRnnNetwork.create(SMALL, seqLen, 1e-20, 3L);
    TrainingStep step = new TrainingStep(net, batch, seqLen, 0.0);
    double loss1 = step.step(x[0], y[0], 0, 0, 1L, 1.0);
    double loss2 = step.step(x[1], y[1], 1, 0, 2L, 1.0);

    // The oracle sees both batches as one sequence of 2 * seqLen from a zero state.
    float[] joined = new float[batch * 2 * seqLen];
    for (int b = 0; b < batch; b++) {
      System.arraycopy(x[0], b * seqLen, joined, b * 2 * seqLen, seqLen);
      System.arraycopy(x[1], b * seqLen, joined, b * 2 * seqLen + seqLen, seqLen);
    }
    INDArray probs = oracle.output(Nd4j.create(joined, new long[] {batch, 1, 2L * seqLen}, 'c'));
    assertThat(loss1).isCloseTo(crossEntropy(probs, y[0], batch, seqLen, 0), within(1e-5));
    assertThat(loss2).isCloseTo(crossEntropy(probs, y[1], batch, seqLen, seqLen), within(1e-5));
  }

  /**
   * The gradient DL4J computes is that of the summed loss: divided by batch x seqLen it is
   * PyTorch's.
   */
  @Test
  void rawGradientIsTheSummedLossGradient() {
    int batch = 2;
    int seqLen = 4;
    float[] x = randomIds(1, batch * seqLen, 9L)[0];
    float[] y = randomIds(1, batch * seqLen, 10L)[0];
    MultiLayerNetwork net = CharRnnNetwork.create(SMALL, seqLen, 0.001, 4L);
    INDArray probs = net.output(Nd4j.create(x, new long[] {batch, 1, seqLen}, 'c'));
    net.rnnClearPreviousState();
    net.setInput(Nd4j.create(x, new long[] {batch, 1, seqLen}, 'c'));
    net.setLabels(Nd4j.create(y, new long[] {batch, 1, seqLen}, 'c'));
    net.computeGradientAndScore();
    INDArray biasGradient = net.gradient().getGradientFor("3_b").reshape(SMALL.vocabSize());
    // d(mean CE)/d(output bias k) = mean over characters of (p_k - [y == k])
    for (int k = 0; k < SMALL.vocabSize(); k++) {
      double expected = 0;
      for (int b = 0; b < batch; b++) {
        for (int t = 0; t < seqLen; t++) {
          expected += probs.getDouble(b, k, t) - (y[b * seqLen + t] == k ? 1 : 0);
        }
      }
      expected /= batch * seqLen;
      assertThat(biasGradient.getDouble(k) / (batch * seqLen)).isCloseTo(expected, within(1e-6));
    }
  }

  static double crossEntropy(INDArray probs, float[] labels, int batch, int seqLen, int offset) {
    double sum = 0;
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < seqLen; t++) {
        sum -= Math.log(probs.getDouble(b, (int) labels[b * seqLen + t], offset + t));
      }
    }
    return sum / (batch * seqLen);
  }

  static float[][] randomIds(int rows, int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[][] out = new float[rows][n];
    for (float[] row : out) {
      for (int i = 0; i < n; i++) {
        row[i] = r.nextInt(SMALL.vocabSize());
      }
    }
    return out;
  }
}
