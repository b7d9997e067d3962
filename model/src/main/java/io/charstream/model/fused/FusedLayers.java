package io.charstream.model.fused;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;

/** Switches the LSTM layers of a network configuration between DL4J's stock layer and the fused one. */
public final class FusedLayers {

  private FusedLayers() {}

  /**
   * Replaces, in place, every stock {@link LSTM} layer of {@code conf} with its {@link FusedLSTM} copy
   * ({@code fused} true) or every {@link FusedLSTM} with its stock copy ({@code fused} false); other
   * layers are left alone. Do this before the network is built ({@code new MultiLayerNetwork(conf)});
   * parameters need no conversion.
   *
   * @return the number of layers replaced
   */
  public static int useFused(MultiLayerConfiguration conf, boolean fused) {
    int replaced = 0;
    for (NeuralNetConfiguration layerConf : conf.getConfs()) {
      Layer layer = layerConf.getLayer();
      if (fused && layer.getClass() == LSTM.class) {
        layerConf.setLayer(FusedLSTM.of((LSTM) layer));
        replaced++;
      } else if (!fused && layer instanceof FusedLSTM f) {
        layerConf.setLayer(f.toStock());
        replaced++;
      }
    }
    return replaced;
  }

  /** The builder for an LSTM layer: fused or DL4J's stock one. */
  public static LSTM.Builder lstmBuilder(boolean fused) {
    return fused ? new FusedLSTM.Builder() : new LSTM.Builder();
  }
}
