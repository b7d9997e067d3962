package io.charstream.model.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.deeplearning4j.exception.DL4JInvalidInputException;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The fused embedding layer's output and weight gradient against DL4J's stock embedding layer. */
class FusedEmbeddingLayerTest {

  @Test
  void outputAndGradientMatchStock() {
    int vocab = 30;
    int width = 12;
    int batch = 9;
    int steps = 7;
    EmbeddingSequenceLayer conf =
        new EmbeddingSequenceLayer.Builder()
            .nIn(vocab)
            .nOut(width)
            .hasBias(false)
            .outputDataFormat(RNNFormat.NCW)
            .build();
    Layer stock = LayerPair.instantiate(conf);
    Layer fused = LayerPair.instantiate(FusedEmbeddingSequenceLayer.of(conf));
    assertThat(fused).isInstanceOf(FusedEmbeddingLayer.class);
    Random random = new Random(8);
    LayerPair.setSameParams(stock, fused, LayerPair.uniform(random, stock.params().shape(), 1.0));
    float[] ids = new float[batch * steps];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = random.nextInt(4) == 0 ? 3 : random.nextInt(vocab); // repeated ids accumulate
    }
    INDArray input = Nd4j.create(ids, new long[] {batch, 1, steps}, 'c');
    LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();

    INDArray expected = stock.activate(input.dup(), true, ws);
    INDArray actual = fused.activate(input.dup(), true, ws);
    assertThat(actual.shape()).containsExactly(expected.shape());
    assertThat(actual.equalsWithEps(expected, 0)).isTrue();

    INDArray epsilon = LayerPair.uniform(random, new long[] {batch, width, steps}, 1.0);
    Pair<Gradient, INDArray> e = stock.backpropGradient(epsilon.dup(), ws);
    Pair<Gradient, INDArray> a = fused.backpropGradient(LayerPair.inLayout(epsilon, 's'), ws);
    assertThat(
            LayerPair.relativeError(
                a.getFirst().getGradientFor("W"), e.getFirst().getGradientFor("W")))
        .isLessThan(1e-6);
    assertThat(a.getSecond()).isNull();
  }

  @Test
  void rejectsIdsOutsideTheVocabulary() {
    EmbeddingSequenceLayer conf =
        new EmbeddingSequenceLayer.Builder()
            .nIn(5)
            .nOut(3)
            .hasBias(false)
            .outputDataFormat(RNNFormat.NCW)
            .build();
    Layer fused = LayerPair.instantiate(FusedEmbeddingSequenceLayer.of(conf));
    INDArray input = Nd4j.create(new float[] {1, 7}, new long[] {1, 1, 2}, 'c');
    assertThatThrownBy(() -> fused.activate(input, false, LayerWorkspaceMgr.noWorkspaces()))
        .isInstanceOf(DL4JInvalidInputException.class)
        .hasMessageContaining("7.0")
        .hasMessageContaining("[0, 5)");
  }
}
