package io.charstream.model.layers;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.layers.recurrent.BaseRecurrentLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A stock DL4J LSTM layer and a fused one with the same random parameters, built standalone. */
public final class LayerPair {

  final Layer stock;
  final Layer fused;
  final int nIn;
  final int hidden;

  LayerPair(int nIn, int hidden, long seed) {
    this.nIn = nIn;
    this.hidden = hidden;
    LSTM.Builder builder =
        new LSTM.Builder()
            .nIn(nIn)
            .nOut(hidden)
            .activation(Activation.TANH)
            .gateActivationFunction(Activation.SIGMOID)
            .dataFormat(RNNFormat.NCW);
    LSTM stockConf = builder.build();
    stock = instantiate(stockConf);
    fused = instantiate(FusedLSTM.of(stockConf));
    setSameParams(stock, fused, uniform(new Random(seed), stock.params().shape(), 0.3));
  }

  /** A layer of {@code conf} on its own (float, with its own parameter view), as a network has. */
  static Layer instantiate(org.deeplearning4j.nn.conf.layers.Layer conf) {
    NeuralNetConfiguration nnc =
        new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).layer(conf).build();
    long n = conf.initializer().numParams(nnc);
    INDArray view = Nd4j.create(DataType.FLOAT, 1, n);
    return conf.instantiate(nnc, null, 0, view, true, DataType.FLOAT);
  }

  /** Sets both layers' parameters to copies of {@code params}, each with its own gradient view. */
  static void setSameParams(Layer stock, Layer fused, INDArray params) {
    for (Layer layer : new Layer[] {stock, fused}) {
      layer.setParams(params.dup());
      layer.setBackpropGradientsViewArray(Nd4j.create(DataType.FLOAT, params.shape()));
    }
  }

  /** Uniform values in [-scale, scale], as float, c order. */
  public static INDArray uniform(Random random, long[] shape, double scale) {
    long n = 1;
    for (long s : shape) {
      n *= s;
    }
    float[] v = new float[Math.toIntExact(n)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
    }
    return Nd4j.create(v, shape, 'c');
  }

  /**
   * A copy of a [batch, features, time] array in one of the memory layouts layers hand each other:
   * 'c' (time fastest: BLAS cannot read it, the fused layer copies it), 'f' (batch fastest, the
   * stock LSTM's output), 's' (steps-major [T][batch][features], the fused layer's own output).
   */
  public static INDArray inLayout(INDArray array, char layout) {
    return switch (layout) {
      case 'c' -> array.dup('c');
      case 'f' -> array.dup('f');
      case 's' -> array.permute(2, 0, 1).dup('c').permute(1, 2, 0);
      default -> throw new IllegalArgumentException("layout " + layout);
    };
  }

  /** A random stored state of {@code batch} rows on both: h in [-0.9, 0.9], c in [-2, 2]. */
  void setRandomState(Random random, int batch) {
    setState(
        uniform(random, new long[] {batch, hidden}, 0.9),
        uniform(random, new long[] {batch, hidden}, 2.0));
  }

  /** Sets the same initial state into the RNN-state and TBPTT-state maps of both layers. */
  void setState(INDArray h0, INDArray c0) {
    for (Layer layer : new Layer[] {stock, fused}) {
      Map<String, INDArray> state = new HashMap<>();
      state.put(org.deeplearning4j.nn.layers.recurrent.LSTM.STATE_KEY_PREV_ACTIVATION, h0.dup());
      state.put(org.deeplearning4j.nn.layers.recurrent.LSTM.STATE_KEY_PREV_MEMCELL, c0.dup());
      BaseRecurrentLayer<?> rnn = (BaseRecurrentLayer<?>) layer;
      rnn.rnnSetPreviousState(new HashMap<>(state));
      rnn.rnnSetTBPTTState(new HashMap<>(state));
    }
  }

  /** max |a - b| / max(1e-3, max |b|): the error relative to the size of the expected values. */
  public static double relativeError(INDArray actual, INDArray expected) {
    double diff =
        actual
            .castTo(DataType.DOUBLE)
            .sub(expected.castTo(DataType.DOUBLE))
            .amaxNumber()
            .doubleValue();
    double scale = Math.max(1e-3, expected.amaxNumber().doubleValue());
    return diff / scale;
  }
}
