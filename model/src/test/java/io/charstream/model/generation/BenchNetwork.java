package io.charstream.model.generation;

import io.charstream.model.Checkpoint;
import io.charstream.model.ModelConfig;
import io.charstream.model.Tensor;
import io.charstream.model.Vocabulary;
import io.charstream.model.layers.FusedLayers;
import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.impl.LossSparseMCXENT;

/**
 * The engine's network shape (Embedding -> LSTM x n -> softmax, NCW, truncated BPTT of the batch
 * length) and its training step (state carried across batches, global-norm clipping, Adam), built
 * here so that the benchmark and the tests of this package can run them with either LSTM. Mirrors
 * io.charstream.model.training.CharRnnNetwork and TrainingStep, which are package-private to the
 * engine.
 */
final class BenchNetwork {

  /** Sizes of the network; {@code retain} is DL4J's dropout (probability to keep), 1 for none. */
  record Spec(
      int vocab,
      int embedding,
      int hidden,
      int layers,
      int seqLen,
      double learningRate,
      double retain) {
    /** The reference's defaults: vocabulary 98, embedding 32, 2 x LSTM 128, sequences of 64. */
    static Spec reference() {
      return new Spec(98, 32, 128, 2, 64, 0.001, 1.0);
    }
  }

  private BenchNetwork() {}

  static MultiLayerConfiguration configuration(Spec spec, boolean fused, long seed) {
    NeuralNetConfiguration.ListBuilder list =
        new NeuralNetConfiguration.Builder()
            .seed(seed)
            .dataType(DataType.FLOAT)
            .updater(new Adam(spec.learningRate()))
            .list()
            .layer(
                FusedLayers.embeddingBuilder(fused)
                    .nIn(spec.vocab())
                    .nOut(spec.embedding())
                    .hasBias(false)
                    .outputDataFormat(RNNFormat.NCW)
                    .build());
    for (int i = 0; i < spec.layers(); i++) {
      LSTM.Builder lstm =
          FusedLayers.lstmBuilder(fused)
              .nIn(i == 0 ? spec.embedding() : spec.hidden())
              .nOut(spec.hidden())
              .activation(Activation.TANH)
              .gateActivationFunction(Activation.SIGMOID)
              .dataFormat(RNNFormat.NCW);
      if (spec.retain() < 1.0) {
        lstm.dropOut(spec.retain());
      }
      list.layer(lstm.build());
    }
    return list.layer(
            FusedLayers.outputBuilder(fused, new LossSparseMCXENT())
                .nIn(spec.hidden())
                .nOut(spec.vocab())
                .activation(Activation.SOFTMAX)
                .dataFormat(RNNFormat.NCW)
                .build())
        .backpropType(BackpropType.TruncatedBPTT)
        .tBPTTForwardLength(spec.seqLen())
        .tBPTTBackwardLength(spec.seqLen())
        .build();
  }

  /**
   * One training step as the engine takes it. The network must already hold the batch
   * (setInput/setLabels, or {@code computeGradient} does it).
   *
   * @param computeGradient runs the forward and backward pass and sets score and gradient
   * @return the mean per-character cross entropy of the batch (nats)
   */
  static double step(
      MultiLayerNetwork net,
      int batch,
      int seqLen,
      double clipNorm,
      int iteration,
      Runnable computeGradient) {
    computeGradient.run();
    double chars = (double) batch * seqLen;
    double loss = net.score() * batch / chars;
    INDArray gradient = net.getFlattenedGradients();
    double norm = gradient.norm2Number().doubleValue() / chars;
    if (clipNorm > 0 && norm > clipNorm) {
      gradient.muli(clipNorm / (norm + 1e-6));
    }
    net.getUpdater()
        .update(net, net.gradient(), iteration, 0, (int) chars, LayerWorkspaceMgr.noWorkspaces());
    net.params().subi(gradient.reshape(net.params().shape()));
    net.setIterationCount(iteration + 1);
    net.updateRnnStateWithTBPTTState();
    net.clearLayerMaskArrays();
    return loss;
  }

  /** The engine's way of computing the gradient: computeGradientAndScore on the batch. */
  static Runnable standardGradient(MultiLayerNetwork net, INDArray features, INDArray labels) {
    return () -> {
      net.setInput(features);
      net.setLabels(labels);
      net.computeGradientAndScore();
    };
  }

  /**
   * A weights-only checkpoint of {@code net} (reference vocabulary), as the engine would write it.
   */
  static Checkpoint checkpoint(MultiLayerNetwork net, Spec spec) {
    Map<String, Tensor> weights = new LinkedHashMap<>();
    for (Map.Entry<String, INDArray> e : net.paramTable().entrySet()) {
      INDArray p = e.getValue();
      int[] shape = new int[p.rank()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = Math.toIntExact(p.size(i));
      }
      weights.put(e.getKey(), new Tensor(e.getKey(), shape, p.dup('c').data().asFloat()));
    }
    ModelConfig config =
        new ModelConfig(
            spec.vocab(), spec.embedding(), spec.hidden(), spec.layers(), 1.0 - spec.retain());
    return Checkpoint.untrained(config, Vocabulary.reference(), weights);
  }

  /** Ids [batch, 1, seqLen] as the network's float input. */
  static INDArray ids(float[] values, int batch, int seqLen) {
    return Nd4j.create(values, new long[] {batch, 1, seqLen}, 'c');
  }
}
