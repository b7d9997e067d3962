package io.charstream.model.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.charstream.model.kernel.FusedRuntime;
import java.util.Random;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossSparseMCXENT;

/** The fused softmax output layer's score and gradients against DL4J's stock RnnOutputLayer. */
class FusedOutputLayerTest {

  private static final double TOLERANCE = 5e-6;

  @AfterEach
  void resetVectorKernels() {
    FusedRuntime.setVectorKernels(null);
  }

  /** vector false: ND4J's softmax op, as where the Vector API module is missing. */
  @ParameterizedTest(
      name = "batch {0}, steps {1}, nIn {2}, vocab {3}, input layout {4}, vector kernels {5}")
  @CsvSource({
    "64, 16, 128, 98, s, true",
    "64, 16, 128, 98, f, true",
    "7, 5, 12, 20, c, true",
    "1, 3, 8, 10, s, true",
    "64, 16, 128, 98, s, false",
    "7, 5, 12, 20, c, false"
  })
  void scoreAndGradientsMatchStock(
      int batch, int steps, int nIn, int vocab, char layout, boolean vector) {
    FusedRuntime.setVectorKernels(vector);
    assertThat(FusedRuntime.vectorKernels()).isEqualTo(vector);
    RnnOutputLayer conf =
        new RnnOutputLayer.Builder(new LossSparseMCXENT())
            .nIn(nIn)
            .nOut(vocab)
            .activation(Activation.SOFTMAX)
            .dataFormat(RNNFormat.NCW)
            .build();
    Layer stock = LayerPair.instantiate(conf);
    Layer fused = LayerPair.instantiate(FusedRnnOutputLayer.of(conf));
    assertThat(fused).isInstanceOf(FusedSoftmaxOutputLayer.class);
    Random random = new Random(batch * 31L + steps);
    LayerPair.setSameParams(stock, fused, LayerPair.uniform(random, stock.params().shape(), 0.5));
    INDArray input = LayerPair.uniform(random, new long[] {batch, nIn, steps}, 2.0);
    float[] ids = new float[batch * steps];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = random.nextInt(vocab);
    }
    INDArray labels = Nd4j.create(ids, new long[] {batch, 1, steps}, 'c');
    LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();

    Pair<Gradient, INDArray> expected = backprop(stock, input.dup(), labels, ws);
    double expectedScore = ((IOutputLayer) stock).computeScore(0.25, true, ws);
    Pair<Gradient, INDArray> actual =
        backprop(fused, LayerPair.inLayout(input, layout), labels, ws);
    double actualScore = ((IOutputLayer) fused).computeScore(0.25, true, ws);

    assertThat(actualScore).isCloseTo(expectedScore, within(1e-5 * Math.abs(expectedScore)));
    for (String name : new String[] {"W", "b"}) {
      assertThat(
              LayerPair.relativeError(
                  actual.getFirst().getGradientFor(name), expected.getFirst().getGradientFor(name)))
          .as("gradient of %s", name)
          .isLessThan(TOLERANCE);
    }
    assertThat(actual.getSecond().shape()).containsExactly(expected.getSecond().shape());
    assertThat(LayerPair.relativeError(actual.getSecond(), expected.getSecond()))
        .as("input gradient")
        .isLessThan(TOLERANCE);

    // A score without a preceding backward pass (validation) is the same too.
    ((IOutputLayer) fused).setLabels(labels.dup());
    assertThat(((IOutputLayer) fused).computeScore(0.0, false, ws))
        .isCloseTo(
            ((IOutputLayer) stock).computeScore(0.0, false, ws),
            within(1e-5 * Math.abs(expectedScore)));
  }

  private static Pair<Gradient, INDArray> backprop(
      Layer layer, INDArray input, INDArray labels, LayerWorkspaceMgr ws) {
    layer.setInput(input, ws);
    ((IOutputLayer) layer).setLabels(labels);
    return layer.backpropGradient(null, ws);
  }
}
