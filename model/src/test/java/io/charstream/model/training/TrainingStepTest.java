package io.charstream.model.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.charstream.model.ModelConfig;
import io.charstream.model.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Sgd;

class TrainingStepTest {

  private static final ModelConfig SMALL = new ModelConfig(11, 4, 8, 2, 0.0);
  private static final int BATCH = 3;
  private static final int SEQ = 5;

  /**
   * Global clipping against a plain loop over every parameter's mean-loss gradient, on both paths:
   * the fused update (Adam) and DL4J's updater (SGD, which the fused update leaves to DL4J). The
   * factor is applied by the update; the gradient view keeps the raw gradient until then.
   */
  @ParameterizedTest(name = "fused update {0}")
  @ValueSource(booleans = {true, false})
  void clipsTheGlobalNormOfTheMeanLossGradientLikeAPlainLoop(boolean fusedUpdate) {
    double clipNorm = 0.05;
    MultiLayerConfiguration conf = CharRnnNetwork.configuration(SMALL, SEQ, 0.001, 21L);
    if (!fusedUpdate) {
      conf.getConfs().forEach(c -> ((BaseLayer) c.getLayer()).setIUpdater(new Sgd(0.001)));
    }
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    CharRnnNetwork.initialiseLikePyTorch(net, SMALL, 21L);
    TrainingStep step = new TrainingStep(net, BATCH, SEQ, clipNorm);
    assertThat(step.usesFusedUpdate()).isEqualTo(fusedUpdate);
    float[][] x = CharRnnNetworkTest.randomIds(1, BATCH * SEQ, 22L);
    float[][] y = CharRnnNetworkTest.randomIds(1, BATCH * SEQ, 23L);
    step.computeGradient(x[0], y[0], 1L);

    // The plain loop: each parameter's gradient of the mean loss, one global norm, one factor.
    List<String> names = new ArrayList<>(net.gradient().gradientForVariable().keySet());
    float[][] expected = new float[names.size()][];
    for (int i = 0; i < names.size(); i++) {
      INDArray g = net.gradient().getGradientFor(names.get(i));
      expected[i] = g.dup('c').data().asFloat();
      for (int j = 0; j < expected[i].length; j++) {
        expected[i][j] /= BATCH * SEQ;
      }
    }
    double factor = GlobalNormClip.clip(expected, clipNorm);
    assertThat(factor).as("the test must actually clip").isLessThan(0.9);

    double applied = step.clipGradient();
    assertThat(applied).isCloseTo(factor, within(1e-5 * factor));
    double sumSquares = 0;
    for (int i = 0; i < names.size(); i++) {
      float[] actual = net.gradient().getGradientFor(names.get(i)).dup('c').data().asFloat();
      for (int j = 0; j < actual.length; j++) {
        float mean = (float) (actual[j] * applied) / (BATCH * SEQ);
        assertThat((double) mean)
            .isCloseTo(expected[i][j], within(1e-7 + 1e-5 * Math.abs(expected[i][j])));
        sumSquares += (double) mean * mean;
      }
    }
    assertThat(Math.sqrt(sumSquares)).isCloseTo(clipNorm, within(1e-5));
  }

  /**
   * The update is Adam on the clipped mean-loss gradient, bias-corrected by step. DL4J adds epsilon
   * to sqrt(v) before bias correction (PyTorch after), which matters only for gradients near 1e-6;
   * the expected update here uses DL4J's placement.
   */
  @Test
  void updatesWithAdamOnTheMeanLossGradient() {
    double lr = 0.01;
    MultiLayerNetwork net = CharRnnNetwork.create(SMALL, SEQ, lr, 24L);
    TrainingStep step = new TrainingStep(net, BATCH, SEQ, 0.0);
    assertThat(step.usesFusedUpdate()).isTrue();
    float[][] x = CharRnnNetworkTest.randomIds(2, BATCH * SEQ, 25L);
    float[][] y = CharRnnNetworkTest.randomIds(2, BATCH * SEQ, 26L);
    int n = (int) net.numParams();
    double[] m = new double[n];
    double[] v = new double[n];
    for (int t = 0; t < 2; t++) {
      step.computeGradient(x[t], y[t], 1L);
      step.clipGradient();
      float[] g = net.getFlattenedGradients().dup('c').data().asFloat();
      float[] before = net.params().dup('c').data().asFloat();
      step.applyUpdate(t, 0, 1.0);
      float[] after = net.params().dup('c').data().asFloat();
      int checked = 0;
      for (int i = 0; i < n; i++) {
        double grad = g[i] / (double) (BATCH * SEQ);
        m[i] = 0.9 * m[i] + 0.1 * grad;
        v[i] = 0.999 * v[i] + 0.001 * grad * grad;
        double alpha = lr * Math.sqrt(1 - Math.pow(0.999, t + 1)) / (1 - Math.pow(0.9, t + 1));
        double update = alpha * m[i] / (Math.sqrt(v[i]) + 1e-8);
        assertThat((double) before[i] - after[i])
            .as("param %d step %d", i, t)
            .isCloseTo(update, within(1e-7 + 1e-3 * Math.abs(update)));
        if (Math.abs(update) > 1e-3) {
          checked++;
        }
      }
      assertThat(checked).as("params that moved").isGreaterThan(n / 4);
    }
  }

  @Test
  void rnnStateAndOptimizerStateRoundTrip() {
    MultiLayerNetwork net = CharRnnNetwork.create(SMALL, SEQ, 0.01, 27L);
    TrainingStep step = new TrainingStep(net, BATCH, SEQ, 5.0);
    float[][] x = CharRnnNetworkTest.randomIds(1, BATCH * SEQ, 28L);
    step.step(x[0], x[0], 0, 0, 1L, 1.0);
    Map<String, Tensor> state = step.rnnState();
    assertThat(state).containsOnlyKeys("state.1.h", "state.1.c", "state.2.h", "state.2.c");
    assertThat(state.get("state.1.h").shape()).containsExactly(BATCH, SMALL.rnnSize());
    Tensor adam = step.optimizerState();
    assertThat(adam.size()).isEqualTo(2 * SMALL.parameterCount());

    MultiLayerNetwork other = CharRnnNetwork.create(SMALL, SEQ, 0.01, 29L);
    TrainingStep copy = new TrainingStep(other, BATCH, SEQ, 5.0);
    copy.setRnnState(state);
    copy.setOptimizerState(adam);
    assertThat(copy.rnnState()).isEqualTo(state);
    assertThat(copy.optimizerState()).isEqualTo(adam);
  }
}
