package io.charstream.model.fused;

import io.charstream.model.Checkpoint;
import io.charstream.model.GenerationModel;
import io.charstream.model.GenerationStreams;
import io.charstream.model.SamplingOptions;
import io.charstream.model.Vocabulary;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Generation throughput of the reference spec with random weights (throughput does not depend on
 * them): every stream is primed with "KING RICHARD" and generates {@code length} characters;
 * characters per second over priming and generation, as the PyTorch script measures.
 */
final class GenerationBench {

  private GenerationBench() {}

  static Checkpoint randomCheckpoint() {
    BenchNetwork.Spec spec = BenchNetwork.Spec.reference();
    MultiLayerNetwork net = new MultiLayerNetwork(BenchNetwork.configuration(spec, false, 3));
    net.init();
    net.setParams(uniform(new Random(3), net.params().length(), 0.1).reshape(net.params().shape()));
    return BenchNetwork.checkpoint(net, spec);
  }

  /** Characters per second generating {@code length} characters in each of {@code streams} streams. */
  static double charsPerSecond(GenerationModel model, int streams, int length) {
    int[] prompt = Vocabulary.reference().encode("KING RICHARD").ids();
    long start = System.nanoTime();
    GenerationStreams slots = model.newStreams(streams);
    for (int s = 0; s < streams; s++) {
      slots.open(prompt, SamplingOptions.withSeed(s));
    }
    for (int t = 0; t < length; t++) {
      slots.step();
    }
    return (double) streams * length / ((System.nanoTime() - start) / 1e9);
  }

  private static org.nd4j.linalg.api.ndarray.INDArray uniform(Random random, long n, double scale) {
    float[] v = new float[Math.toIntExact(n)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
    }
    return org.nd4j.linalg.factory.Nd4j.create(v);
  }
}
