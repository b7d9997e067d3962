package io.charstream.model.layers;

import java.util.Collection;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.params.LSTMParamInitializer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The configuration of a fused LSTM layer: DL4J's {@link LSTM} configuration in every respect
 * (builder options, parameter initializer and layout, JSON form apart from its class name), except
 * that the network it builds runs {@link FusedLstmLayer}.
 *
 * <p>Switching a network to the fused layer is one line: build its LSTM layers with {@code new
 * FusedLSTM.Builder()} instead of {@code new LSTM.Builder()}, or convert a configuration with
 * {@link FusedLayers#useFused}. Parameters, updater state and checkpoints are interchangeable
 * between the two.
 */
public class FusedLSTM extends LSTM {

  /** For JSON deserialisation; use {@link Builder} or {@link #of(LSTM)}. */
  public FusedLSTM() {
    super();
  }

  /**
   * A fused copy of a stock LSTM configuration: every field copied through DL4J's own JSON mapper,
   * so nothing the stock configuration carries is lost.
   */
  public static FusedLSTM of(LSTM stock) {
    return (FusedLSTM) FusedLayers.convert(stock, FusedLSTM.class);
  }

  /** The stock DL4J configuration this one mirrors. */
  public LSTM toStock() {
    return (LSTM) FusedLayers.convert(this, LSTM.class);
  }

  @Override
  public org.deeplearning4j.nn.api.Layer instantiate(
      NeuralNetConfiguration conf,
      Collection<TrainingListener> trainingListeners,
      int layerIndex,
      INDArray layerParamsView,
      boolean initializeParams,
      DataType networkDataType) {
    return FusedLayers.instantiate(
        this,
        new FusedLstmLayer(conf, networkDataType),
        conf,
        trainingListeners,
        layerIndex,
        layerParamsView,
        initializeParams);
  }

  @Override
  public ParamInitializer initializer() {
    return LSTMParamInitializer.getInstance();
  }

  /** {@link LSTM.Builder} that builds a {@link FusedLSTM}. */
  public static class Builder extends LSTM.Builder {
    @Override
    public FusedLSTM build() {
      return of(super.build());
    }
  }
}
