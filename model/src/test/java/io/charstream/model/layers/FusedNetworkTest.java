package io.charstream.model.layers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.assertj.core.data.Percentage;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.impl.LossSparseMCXENT;

/**
 * The fused layer inside a whole network: configuration switch, checkpoints, and a short training
 * run with the engine's loop (state carried across batches, truncated BPTT, Adam, global clipping)
 * that must follow the stock network's loss curve.
 */
class FusedNetworkTest {

  private static final int VOCAB = 24;
  private static final int BATCH = 16;
  private static final int STEPS = 20;

  /** The engine's network shape (embedding, 2 LSTMs, softmax), small. */
  static MultiLayerConfiguration configuration(boolean fused, double retain) {
    NeuralNetConfiguration.ListBuilder list =
        new NeuralNetConfiguration.Builder()
            .seed(7)
            .dataType(DataType.FLOAT)
            .updater(new Adam(0.01))
            .list()
            .layer(
                FusedLayers.embeddingBuilder(fused)
                    .nIn(VOCAB)
                    .nOut(12)
                    .hasBias(false)
                    .outputDataFormat(RNNFormat.NCW)
                    .build());
    for (int i = 0; i < 2; i++) {
      LSTM.Builder lstm =
          FusedLayers.lstmBuilder(fused)
              .nIn(i == 0 ? 12 : 40)
              .nOut(40)
              .activation(Activation.TANH)
              .gateActivationFunction(Activation.SIGMOID)
              .dataFormat(RNNFormat.NCW);
      if (retain < 1.0) {
        lstm.dropOut(retain);
      }
      list.layer(lstm.build());
    }
    return list.layer(
            FusedLayers.outputBuilder(fused, new LossSparseMCXENT())
                .nIn(40)
                .nOut(VOCAB)
                .activation(Activation.SOFTMAX)
                .dataFormat(RNNFormat.NCW)
                .build())
        .backpropType(BackpropType.TruncatedBPTT)
        .tBPTTForwardLength(STEPS)
        .tBPTTBackwardLength(STEPS)
        .build();
  }

  @Test
  void builderAndConversionChooseTheLayer() {
    MultiLayerNetwork fused = new MultiLayerNetwork(configuration(true, 1.0));
    fused.init();
    assertThat(fused.getLayer(0)).isInstanceOf(FusedEmbeddingLayer.class);
    assertThat(fused.getLayer(1)).isInstanceOf(FusedLstmLayer.class);
    assertThat(fused.getLayer(2)).isInstanceOf(FusedLstmLayer.class);
    assertThat(fused.getLayer(3)).isInstanceOf(FusedSoftmaxOutputLayer.class);

    MultiLayerConfiguration conf = configuration(false, 1.0);
    String stockJson = conf.toJson();
    assertThat(FusedLayers.useFused(conf, true)).isEqualTo(4);
    assertThat(conf.getConf(1).getLayer()).isInstanceOf(FusedLSTM.class);
    assertThat(conf.getConf(3).getLayer()).isInstanceOf(FusedRnnOutputLayer.class);
    // The JSON differs only in the layer class names.
    assertThat(
            conf.toJson()
                .replace(FusedLSTM.class.getName(), LSTM.class.getName())
                .replace(FusedRnnOutputLayer.class.getName(), RnnOutputLayer.class.getName())
                .replace(
                    FusedEmbeddingSequenceLayer.class.getName(),
                    EmbeddingSequenceLayer.class.getName()))
        .isEqualTo(stockJson);
    assertThat(MultiLayerConfiguration.fromJson(conf.toJson()).getConf(2).getLayer())
        .isInstanceOf(FusedLSTM.class);
    assertThat(FusedLayers.useFused(conf, false)).isEqualTo(4);
    assertThat(conf.toJson()).isEqualTo(stockJson);
  }

  @Test
  void checkpointsAreInterchangeable() throws IOException {
    MultiLayerNetwork stock = new MultiLayerNetwork(configuration(false, 1.0));
    stock.init();
    MultiLayerNetwork fused = new MultiLayerNetwork(configuration(true, 1.0));
    fused.init();
    assertThat(fused.numParams()).isEqualTo(stock.numParams());
    assertThat(fused.paramTable().keySet()).containsExactlyElementsOf(stock.paramTable().keySet());

    fused.setParams(stock.params().dup());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ModelSerializer.writeModel(fused, bytes, true);
    MultiLayerNetwork restored =
        ModelSerializer.restoreMultiLayerNetwork(
            new ByteArrayInputStream(bytes.toByteArray()), true);
    assertThat(restored.getLayer(1)).isInstanceOf(FusedLstmLayer.class);
    assertThat(restored.params()).isEqualTo(stock.params());
  }

  @Test
  void trainingWithCarriedStateFollowsTheStockLossCurve() {
    List<Double> stockLosses = train(false, 1.0);
    List<Double> fusedLosses = train(true, 1.0);
    for (int i = 0; i < stockLosses.size(); i++) {
      assertThat(fusedLosses.get(i))
          .as("loss of step %d", i)
          .isCloseTo(stockLosses.get(i), Percentage.withPercentage(0.01));
    }
    // It learned something: the loss fell well below its start.
    assertThat(fusedLosses.get(fusedLosses.size() - 1)).isLessThan(0.7 * fusedLosses.get(0));
  }

  /**
   * With dropout the two networks draw different masks (ND4J draws them in memory order, and the
   * fused layer's arrays are laid out differently), so the curves agree in level, not step by step:
   * the first steps closely, the run on average.
   */
  @Test
  void dropoutTrainingFollowsTheStockLossCurve() {
    List<Double> stockLosses = train(false, 0.8);
    List<Double> fusedLosses = train(true, 0.8);
    for (int i = 0; i < 5; i++) {
      assertThat(fusedLosses.get(i))
          .as("loss of step %d", i)
          .isCloseTo(stockLosses.get(i), Percentage.withPercentage(1));
    }
    double stockMean =
        stockLosses.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    double fusedMean =
        fusedLosses.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    assertThat(fusedMean)
        .as("mean loss of the run")
        .isCloseTo(stockMean, Percentage.withPercentage(5));
    List<Double> withoutDropout = train(true, 1.0);
    assertThat(fusedLosses.get(0))
        .as("dropout changes the first loss")
        .isNotEqualTo(withoutDropout.get(0));
  }

  /**
   * The engine's training loop (io.charstream.model.training.TrainingStep: state carried across
   * batches, global clipping, Adam) on a repeating pattern with noise; returns the loss of each
   * step. The fused network runs it as the engine does, through computeGradientAndScore; the stock
   * network through {@link TbpttOracleNetwork}, which gives the stock layer the carried state for
   * its gradient too.
   */
  private static List<Double> train(boolean fused, double retain) {
    MultiLayerNetwork reference = new MultiLayerNetwork(configuration(false, retain));
    reference.init();
    MultiLayerNetwork net =
        fused
            ? new MultiLayerNetwork(configuration(true, retain))
            : new TbpttOracleNetwork(configuration(false, retain));
    net.init();
    net.setParams(reference.params().dup()); // same initial weights for both variants
    Random random = new Random(42);
    int[] corpus = new int[BATCH * STEPS * 30 + 1];
    for (int i = 0; i < corpus.length; i++) {
      corpus[i] = random.nextInt(10) == 0 ? random.nextInt(VOCAB) : (i * 7 % 13) + (i / 13 % 2);
    }
    int streamLength = corpus.length / BATCH;
    List<Double> losses = new ArrayList<>();
    LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();
    for (int step = 0; step < 25; step++) {
      float[] features = new float[BATCH * STEPS];
      float[] labels = new float[BATCH * STEPS];
      for (int b = 0; b < BATCH; b++) {
        for (int t = 0; t < STEPS; t++) {
          int at = b * streamLength + (step * STEPS + t) % (streamLength - 1);
          features[b * STEPS + t] = corpus[at];
          labels[b * STEPS + t] = corpus[at + 1];
        }
      }
      Nd4j.getRandom().setSeed(1000 + step);
      INDArray x = Nd4j.create(features, new long[] {BATCH, 1, STEPS}, 'c');
      INDArray y = Nd4j.create(labels, new long[] {BATCH, 1, STEPS}, 'c');
      if (net instanceof TbpttOracleNetwork oracle) {
        oracle.computeGradientAndScoreFromStoredState(x, y);
      } else {
        net.setInput(x);
        net.setLabels(y);
        net.computeGradientAndScore();
      }
      double chars = BATCH * STEPS;
      losses.add(net.score() * BATCH / chars);
      INDArray gradient = net.getFlattenedGradients();
      double norm = gradient.norm2Number().doubleValue() / chars;
      if (norm > 0.5) {
        gradient.muli(0.5 / (norm + 1e-6)); // global clipping, as the engine does
      }
      net.getUpdater().update(net, net.gradient(), step, 0, (int) chars, ws);
      net.params().subi(gradient.reshape(net.params().shape()));
      net.setIterationCount(step + 1);
      net.updateRnnStateWithTBPTTState();
      net.clearLayerMaskArrays();
    }
    for (int i = 1; i <= 2; i++) {
      Layer layer = net.getLayer(i);
      assertThat(layer instanceof FusedLstmLayer).isEqualTo(fused);
    }
    assertThat(net.getLayer(3) instanceof FusedSoftmaxOutputLayer).isEqualTo(fused);
    assertThat(net.getLayer(0) instanceof FusedEmbeddingLayer).isEqualTo(fused);
    return losses;
  }
}
