package io.charstream.model.layers;

import java.util.Collection;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The configuration of a fused embedding layer: DL4J's {@link EmbeddingSequenceLayer} configuration
 * in every respect (options, parameters, JSON apart from the class name), except that the network
 * it builds runs {@link FusedEmbeddingLayer}, which writes its output in the layout the fused LSTM
 * reads in place. Build it with {@code new FusedEmbeddingSequenceLayer.Builder()} or convert with
 * {@link FusedLayers#useFused}.
 */
public class FusedEmbeddingSequenceLayer extends EmbeddingSequenceLayer {

  /** For JSON deserialisation; use {@link Builder} or {@link #of(EmbeddingSequenceLayer)}. */
  public FusedEmbeddingSequenceLayer() {
    super();
  }

  /** A fused copy of a stock configuration, every field copied through DL4J's JSON mapper. */
  public static FusedEmbeddingSequenceLayer of(EmbeddingSequenceLayer stock) {
    return (FusedEmbeddingSequenceLayer)
        FusedLayers.convert(stock, FusedEmbeddingSequenceLayer.class);
  }

  /** The stock DL4J configuration this one mirrors. */
  public EmbeddingSequenceLayer toStock() {
    return (EmbeddingSequenceLayer) FusedLayers.convert(this, EmbeddingSequenceLayer.class);
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
        new FusedEmbeddingLayer(conf, networkDataType),
        conf,
        trainingListeners,
        layerIndex,
        layerParamsView,
        initializeParams);
  }

  /** {@link EmbeddingSequenceLayer.Builder} that builds a {@link FusedEmbeddingSequenceLayer}. */
  public static class Builder extends EmbeddingSequenceLayer.Builder {
    @Override
    public FusedEmbeddingSequenceLayer build() {
      return of(super.build());
    }
  }
}
