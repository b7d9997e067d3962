package io.charstream.model.layers;

import java.util.Collection;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * The configuration of a fused softmax output layer: DL4J's {@link RnnOutputLayer} configuration in
 * every respect (options, parameters, JSON apart from the class name), except that the network it
 * builds runs {@link FusedSoftmaxOutputLayer} for training (softmax + sparse multi-class cross
 * entropy in a few large GEMMs, no reshaping copies). Build it with {@code new
 * FusedRnnOutputLayer.Builder(loss)} instead of {@code new RnnOutputLayer.Builder(loss)}, or
 * convert with {@link FusedLayers#useFused}.
 */
public class FusedRnnOutputLayer extends RnnOutputLayer {

  /** For JSON deserialisation; use {@link Builder} or {@link #of(RnnOutputLayer)}. */
  public FusedRnnOutputLayer() {
    super();
  }

  /** A fused copy of a stock configuration, every field copied through DL4J's JSON mapper. */
  public static FusedRnnOutputLayer of(RnnOutputLayer stock) {
    return (FusedRnnOutputLayer) FusedLayers.convert(stock, FusedRnnOutputLayer.class);
  }

  /** The stock DL4J configuration this one mirrors. */
  public RnnOutputLayer toStock() {
    return (RnnOutputLayer) FusedLayers.convert(this, RnnOutputLayer.class);
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
        new FusedSoftmaxOutputLayer(conf, networkDataType),
        conf,
        trainingListeners,
        layerIndex,
        layerParamsView,
        initializeParams);
  }

  /** {@link RnnOutputLayer.Builder} that builds a {@link FusedRnnOutputLayer}. */
  public static class Builder extends RnnOutputLayer.Builder {
    public Builder(ILossFunction lossFunction) {
      super(lossFunction);
    }

    @Override
    public FusedRnnOutputLayer build() {
      return of(super.build());
    }
  }
}
