package io.charstream.model.training;

import io.charstream.model.CheckpointFormatException;
import io.charstream.model.EngineOptions;
import io.charstream.model.ModelConfig;
import io.charstream.model.Tensor;
import io.charstream.model.kernel.FusedRuntime;
import io.charstream.model.layers.FusedLayers;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.impl.LossSparseMCXENT;

/**
 * Builds the reference's network in DL4J and moves its weights in and out as {@link Tensor}s.
 *
 * <p>Layers (NCW = [batch, features, time]): 0 EmbeddingSequence [vocab -> emb], no bias; 1..n LSTM
 * [H] with tanh/sigmoid; n+1 RnnOutputLayer [H -> vocab] softmax with sparse (index) labels [batch,
 * 1, time]. Every layer is given {@link RNNFormat#NCW} explicitly: without it the output layer
 * fails with a misleading "Sequence lengths do not match".
 */
public final class CharRnnNetwork {

  private CharRnnNetwork() {}

  /**
   * Which LSTM and output layers train ({@link EngineOptions#layers()}): fused (the default: {@link
   * FusedLayers}, several times faster, and its gradient follows the carried state as the
   * reference's does) or stock (DL4J's own layers, kept as the oracle the fused ones are tested
   * against; with truncated BPTT the stock LSTM differentiates a forward pass from a zero state,
   * see docs/fused.md).
   */
  public static boolean fusedLayers() {
    return FusedRuntime.options().layers() == EngineOptions.Layers.FUSED;
  }

  /**
   * A new network with PyTorch's default initialisation drawn from {@code seed}.
   *
   * @param tbpttLength characters per training batch: the network trains with truncated BPTT of
   *     this length so that its forward pass starts from the stored (carried) LSTM state
   */
  public static MultiLayerNetwork create(
      ModelConfig config, int tbpttLength, double learningRate, long seed) {
    MultiLayerNetwork net =
        new MultiLayerNetwork(configuration(config, tbpttLength, learningRate, seed));
    net.init();
    initialiseLikePyTorch(net, config, seed);
    return net;
  }

  public static MultiLayerConfiguration configuration(
      ModelConfig config, int tbpttLength, double learningRate, long seed) {
    // DL4J's dropOut(x) takes the probability to RETAIN an input; it drops a layer's input, so
    // dropout
    // on the LSTMs and the output layer drops the embedding output and every LSTM output, as the
    // reference's PyTorch model does.
    double retain = 1.0 - config.dropRate();
    boolean dropout = config.dropRate() > 0.0;
    int h = config.rnnSize();
    NeuralNetConfiguration.ListBuilder list =
        new NeuralNetConfiguration.Builder()
            .seed(seed)
            .dataType(DataType.FLOAT)
            .updater(new Adam(learningRate))
            .list()
            .layer(
                new EmbeddingSequenceLayer.Builder()
                    .nIn(config.vocabSize())
                    .nOut(config.embeddingSize())
                    .hasBias(false)
                    .outputDataFormat(RNNFormat.NCW)
                    .build());
    for (int layer = 0; layer < config.numLayers(); layer++) {
      LSTM.Builder lstm =
          new LSTM.Builder()
              .nIn(layer == 0 ? config.embeddingSize() : h)
              .nOut(h)
              .activation(Activation.TANH)
              .gateActivationFunction(Activation.SIGMOID)
              .dataFormat(RNNFormat.NCW);
      if (dropout) {
        lstm.dropOut(retain);
      }
      list.layer(lstm.build());
    }
    RnnOutputLayer.Builder out =
        new RnnOutputLayer.Builder(new LossSparseMCXENT())
            .nIn(h)
            .nOut(config.vocabSize())
            .activation(Activation.SOFTMAX)
            .dataFormat(RNNFormat.NCW);
    if (dropout) {
      out.dropOut(retain);
    }
    list.layer(out.build());
    MultiLayerConfiguration conf =
        list.backpropType(BackpropType.TruncatedBPTT)
            .tBPTTForwardLength(tbpttLength)
            .tBPTTBackwardLength(tbpttLength)
            .build();
    FusedLayers.useFused(conf, fusedLayers());
    return conf;
  }

  /**
   * PyTorch's defaults: Embedding N(0, 1); LSTM weights and biases U(-1/sqrt(H), 1/sqrt(H)); Linear
   * weight and bias U(-1/sqrt(in), 1/sqrt(in)). (PyTorch's LSTM has two bias vectors per layer;
   * DL4J has one, which is what gives the reference's 229,794 parameters.)
   */
  public static void initialiseLikePyTorch(MultiLayerNetwork net, ModelConfig config, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, INDArray> params = net.paramTable(false);
    for (Map.Entry<String, INDArray> e : params.entrySet()) {
      INDArray p = e.getValue();
      int layer = Integer.parseInt(e.getKey().substring(0, e.getKey().indexOf('_')));
      float[] values = new float[(int) p.length()];
      if (layer == 0) {
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) gaussian(random);
        }
      } else {
        // Every LSTM has hidden size H and the output layer's fan-in is H too.
        double bound = 1.0 / Math.sqrt(config.rnnSize());
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) ((random.nextDouble() * 2.0 - 1.0) * bound);
        }
      }
      p.assign(Nd4j.create(values, p.shape(), 'c'));
    }
  }

  private static double gaussian(SplittableRandom random) {
    // Box-Muller: SplittableRandom has no nextGaussian in Java 17's API surface we rely on.
    double u1 = 1.0 - random.nextDouble();
    double u2 = random.nextDouble();
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
  }

  /** Copies of the weights, by DL4J parameter name, row-major. */
  public static Map<String, Tensor> exportWeights(MultiLayerNetwork net) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, INDArray> e : net.paramTable(false).entrySet()) {
      out.put(e.getKey(), toTensor(e.getKey(), e.getValue()));
    }
    return out;
  }

  public static void importWeights(MultiLayerNetwork net, Map<String, Tensor> weights) {
    Map<String, INDArray> params = net.paramTable(false);
    if (!params.keySet().equals(weights.keySet())) {
      throw new CheckpointFormatException(
          "checkpoint weights "
              + weights.keySet()
              + " do not match the network's parameters "
              + params.keySet());
    }
    for (Map.Entry<String, INDArray> e : params.entrySet()) {
      assign(e.getValue(), weights.get(e.getKey()));
    }
  }

  public static Tensor toTensor(String name, INDArray array) {
    long[] shape = array.shape();
    int[] dims = new int[shape.length];
    for (int i = 0; i < shape.length; i++) {
      dims[i] = Math.toIntExact(shape[i]);
    }
    return new Tensor(name, dims, array.dup('c').data().asFloat());
  }

  public static void assign(INDArray target, Tensor source) {
    long[] shape = target.shape();
    int[] s = source.shape();
    boolean same = shape.length == s.length;
    for (int i = 0; same && i < s.length; i++) {
      same = shape[i] == s[i];
    }
    if (!same) {
      throw new CheckpointFormatException(
          "array "
              + source.name()
              + " has shape "
              + java.util.Arrays.toString(s)
              + " but the network needs "
              + java.util.Arrays.toString(shape));
    }
    target.assign(Nd4j.create(source.data(), shape, 'c'));
  }
}
