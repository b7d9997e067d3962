package io.charstream.model.layers;

import java.util.Collection;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * Switches a network configuration's embedding, LSTM and RNN output layers between DL4J's stock
 * layers and the fused ones ({@link FusedEmbeddingSequenceLayer}, {@link FusedLSTM}, {@link
 * FusedRnnOutputLayer}).
 */
public final class FusedLayers {

  private FusedLayers() {}

  /**
   * Replaces, in place, every stock {@link LSTM}, {@link RnnOutputLayer} and {@link
   * EmbeddingSequenceLayer} of {@code conf} with its fused copy ({@code fused} true) or every fused
   * layer with its stock copy ({@code fused} false); other layers are left alone. Do this before
   * the network is built ({@code new MultiLayerNetwork(conf)}); parameters need no conversion.
   *
   * @return the number of layers replaced
   */
  public static int useFused(MultiLayerConfiguration conf, boolean fused) {
    int replaced = 0;
    for (NeuralNetConfiguration layerConf : conf.getConfs()) {
      Layer layer = layerConf.getLayer();
      Layer replacement = null;
      if (fused && layer.getClass() == LSTM.class) {
        replacement = FusedLSTM.of((LSTM) layer);
      } else if (fused && layer.getClass() == RnnOutputLayer.class) {
        replacement = FusedRnnOutputLayer.of((RnnOutputLayer) layer);
      } else if (fused && layer.getClass() == EmbeddingSequenceLayer.class) {
        replacement = FusedEmbeddingSequenceLayer.of((EmbeddingSequenceLayer) layer);
      } else if (!fused && layer instanceof FusedLSTM f) {
        replacement = f.toStock();
      } else if (!fused && layer instanceof FusedRnnOutputLayer f) {
        replacement = f.toStock();
      } else if (!fused && layer instanceof FusedEmbeddingSequenceLayer f) {
        replacement = f.toStock();
      }
      if (replacement != null) {
        layerConf.setLayer(replacement);
        replaced++;
      }
    }
    return replaced;
  }

  /** The builder for an LSTM layer: fused or DL4J's stock one. */
  public static LSTM.Builder lstmBuilder(boolean fused) {
    return fused ? new FusedLSTM.Builder() : new LSTM.Builder();
  }

  /** The builder for an embedding-sequence layer: fused or DL4J's stock one. */
  public static EmbeddingSequenceLayer.Builder embeddingBuilder(boolean fused) {
    return fused ? new FusedEmbeddingSequenceLayer.Builder() : new EmbeddingSequenceLayer.Builder();
  }

  /** The builder for an RNN output layer: fused or DL4J's stock one. */
  public static RnnOutputLayer.Builder outputBuilder(boolean fused, ILossFunction loss) {
    return fused ? new FusedRnnOutputLayer.Builder(loss) : new RnnOutputLayer.Builder(loss);
  }

  /**
   * A copy of a layer configuration as another class of the same family, every field carried over
   * by DL4J's own JSON mapper (so nothing the configuration holds is lost); only the class changes.
   */
  static Layer convert(Layer layer, Class<? extends Layer> target) {
    ObjectMapper mapper = NeuralNetConfiguration.mapper();
    ObjectNode node = mapper.valueToTree(layer);
    node.put("@class", target.getName());
    try {
      return mapper.treeToValue(node, Layer.class);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(
          "could not convert layer configuration " + layer + " to " + target.getName(), e);
    }
  }

  /**
   * Sets up {@code layer}, the runtime layer of {@code config}, as DL4J's own configurations do in
   * {@code instantiate}: listeners, index, parameter view and table, configuration.
   */
  static org.deeplearning4j.nn.api.Layer instantiate(
      FeedForwardLayer config,
      org.deeplearning4j.nn.api.Layer layer,
      NeuralNetConfiguration conf,
      Collection<TrainingListener> listeners,
      int index,
      INDArray paramsView,
      boolean initializeParams) {
    LayerValidation.assertNInNOutSet(
        config.getClass().getSimpleName(),
        config.getLayerName(),
        index,
        config.getNIn(),
        config.getNOut());
    layer.setListeners(listeners);
    layer.setIndex(index);
    layer.setParamsViewArray(paramsView);
    layer.setParamTable(config.initializer().init(conf, paramsView, initializeParams));
    layer.setConf(conf);
    return layer;
  }
}
