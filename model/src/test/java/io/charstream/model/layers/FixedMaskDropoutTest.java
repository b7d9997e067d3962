package io.charstream.model.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.TimeSeriesUtils;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The test fixture the training oracle relies on to give two networks the same dropout masks. */
class FixedMaskDropoutTest {

  private static final LayerWorkspaceMgr WS = LayerWorkspaceMgr.noWorkspaces();

  @Test
  void masksTheSamePositionsInEveryLayoutAndInTheOutputLayersReshape() {
    AtomicLong step = new AtomicLong(3);
    FixedMaskDropout dropout = new FixedMaskDropout(0.8, 5, 6, step);
    INDArray x = LayerPair.uniform(new Random(1), new long[] {6, 7, 9}, 1.0);
    INDArray expected = x.mul(dropout.mask(x.shape()));
    for (char layout : new char[] {'c', 'f', 's'}) {
      INDArray in = LayerPair.inLayout(x, layout);
      INDArray out = dropout.clone().applyDropout(in, in, 0, 0, WS);
      assertThat(out).as("layout %s", layout).isEqualTo(expected);
      INDArray copy = LayerPair.inLayout(x, layout);
      INDArray result = LayerPair.inLayout(x.mul(0), layout);
      dropout.applyDropout(copy, result, 0, 0, WS);
      assertThat(result).as("layout %s into another array", layout).isEqualTo(expected);
      assertThat(copy).as("the input stays").isEqualTo(x);
    }
    // The stock RNN output layer applies dropout to its input reshaped to [batch x time, features].
    INDArray flat = TimeSeriesUtils.reshape3dTo2d(x.dup('f'), WS, ArrayType.INPUT).dup('c');
    INDArray flatDropped = dropout.applyDropout(flat, flat.dup(), 0, 0, WS);
    assertThat(flatDropped)
        .isEqualTo(TimeSeriesUtils.reshape3dTo2d(expected.dup('f'), WS, ArrayType.INPUT));
    // backward multiplies by the last mask.
    INDArray gradient = LayerPair.uniform(new Random(2), flat.shape(), 1.0);
    assertThat(dropout.backprop(gradient.dup(), gradient.dup(), 0, 0))
        .isEqualTo(gradient.mul(dropout.mask(flat.shape())));
    assertThat(dropout.applied()).isEqualTo(4);
    assertThat(dropout.backpropagated()).isEqualTo(1);
  }

  @Test
  void dropsTheConfiguredFractionWithANewMaskEachStep() {
    AtomicLong step = new AtomicLong();
    FixedMaskDropout dropout = new FixedMaskDropout(0.95, 1, 64, step);
    long[] shape = {64, 128, 64};
    INDArray first = dropout.mask(shape);
    double kept = first.gt(0).castTo(first.dataType()).meanNumber().doubleValue();
    assertThat(kept).isCloseTo(0.95, within(0.002));
    assertThat(first.maxNumber().doubleValue()).isCloseTo(1 / 0.95, within(1e-6));
    assertThat(new FixedMaskDropout(0.95, 2, 64, step).mask(shape))
        .as("another layer's seed")
        .isNotEqualTo(first);
    step.incrementAndGet();
    assertThat(dropout.mask(shape)).as("the next step").isNotEqualTo(first);
  }
}
