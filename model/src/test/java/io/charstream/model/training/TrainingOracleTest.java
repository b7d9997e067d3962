package io.charstream.model.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.model.ModelConfig;
import io.charstream.model.layers.FixedMaskDropout;
import io.charstream.model.layers.FusedLayers;
import io.charstream.model.layers.FusedLstmLayer;
import io.charstream.model.layers.FusedSoftmaxOutputLayer;
import io.charstream.model.layers.LayerPair;
import io.charstream.model.layers.TbpttOracleNetwork;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * The training oracle: the engine's {@link TrainingStep} on the fused layers against the same step
 * on DL4J's stock layers ({@link TbpttOracleNetwork}, whose gradient follows the carried state as
 * the fused one's does), at the reference shape (batch 64 x 64 characters, hidden 128), with 1, 2
 * and 3 LSTM layers and the recommended preset's dropout (0.05 on every LSTM's input and on the
 * output layer's input) with the same masks in both networks ({@link FixedMaskDropout}). Every step
 * compares the loss, every parameter's raw gradient (before clipping and the updater, so no updater
 * can hide a scale error), the clipped norm, and every parameter after the update. The updater is
 * plain SGD, so a parameter's displacement is exactly the sum of its (clipped) gradients and
 * differences between the networks are not amplified by Adam's normalisation of tiny gradients.
 */
class TrainingOracleTest {

  private static final int VOCAB = 98;
  private static final int EMBEDDING = 32;
  private static final int HIDDEN = 128;
  private static final int BATCH = 64;
  private static final int SEQ = 64;
  private static final double LEARNING_RATE = 1.0;
  private static final double CLIP = 5.0;
  private static final int STEPS = 4;
  private static final long SEED = 17;

  /**
   * Largest relative error of the loss, of each parameter's raw gradient (max |fused - stock| over
   * max |stock| of that parameter), of the global gradient norm and of each parameter's
   * displacement. docs/fused.md states 5e-6 for gradients; measured here at most 5.5e-7 with
   * dropout and 3.0e-6 without, on the fused output layer's bias (its gradient sums 4096 softmax
   * rows whose terms cancel, so float32 summation order shows most).
   */
  static final double TOLERANCE = 5e-6;

  @ParameterizedTest(name = "{0} LSTM layers, dropout {1}")
  @CsvSource({"1, 0.05", "2, 0.05", "3, 0.05", "2, 0.0"})
  void fusedTrainingStepsMatchTheStockLayers(int layers, double drop) {
    long cpuStart = processCpuNanos();
    long wallStart = System.nanoTime();
    ModelConfig config = new ModelConfig(VOCAB, EMBEDDING, HIDDEN, layers, drop);
    AtomicLong step = new AtomicLong();
    MultiLayerNetwork stock = network(config, false, step);
    MultiLayerNetwork fused = network(config, true, step);
    CharRnnNetwork.initialiseLikePyTorch(stock, config, SEED);
    fused.setParams(stock.params().dup());
    Map<String, float[]> start = floats(stock.paramTable());
    TrainingStep stockStep = new TrainingStep(stock, BATCH, SEQ, CLIP);
    TrainingStep fusedStep = new TrainingStep(fused, BATCH, SEQ, CLIP);
    float[][][] batches = batches(STEPS);
    Worst loss = new Worst();
    Worst gradient = new Worst();
    Worst parameter = new Worst();
    for (int t = 0; t < STEPS; t++) {
      step.set(t);
      int[][] stockCalls = dropoutCalls(stock);
      int[][] fusedCalls = dropoutCalls(fused);
      double stockLoss = stockStep.computeGradient(batches[t][0], batches[t][1], t);
      double fusedLoss = fusedStep.computeGradient(batches[t][0], batches[t][1], t);
      assertThat(loss.see(Math.abs(fusedLoss - stockLoss) / stockLoss, "step " + t))
          .as("relative error of the loss at step %d (%s vs %s)", t, fusedLoss, stockLoss)
          .isLessThan(TOLERANCE);
      assertThat(((FusedLstmLayer) fused.getLayer(1)).embeddingFolded())
          .as("the first LSTM folds the embedding (not with dropout on its input)")
          .isEqualTo(drop == 0);
      assertMasksApplied(stock, stockCalls, "stock", t);
      assertMasksApplied(fused, fusedCalls, "fused", t);
      for (String name : stock.paramTable().keySet()) {
        double error =
            LayerPair.relativeError(
                fused.gradient().getGradientFor(name), stock.gradient().getGradientFor(name));
        assertThat(gradient.see(error, name + " at step " + t))
            .as("relative error of the raw gradient of %s at step %d", name, t)
            .isLessThan(TOLERANCE);
      }
      stockStep.clipGradient();
      fusedStep.clipGradient();
      double norm = stockStep.lastGradientNorm();
      assertThat(Math.abs(fusedStep.lastGradientNorm() - norm) / norm)
          .as("relative error of the gradient norm at step %d", t)
          .isLessThan(TOLERANCE);
      stockStep.applyUpdate(t, 0, 1.0);
      fusedStep.applyUpdate(t, 0, 1.0);
      Map<String, float[]> stockParams = floats(stock.paramTable());
      Map<String, float[]> fusedParams = floats(fused.paramTable());
      for (String name : stockParams.keySet()) {
        double error =
            displacementError(fusedParams.get(name), stockParams.get(name), start.get(name), t + 1);
        assertThat(parameter.see(error, name + " after step " + t))
            .as("relative error of %s's displacement after step %d", name, t)
            .isLessThan(TOLERANCE);
      }
    }
    System.out.printf(
        "TrainingOracleTest %d layers, dropout %s, %d steps: max relative error of the loss %s,"
            + " gradients %s, parameter displacements %s; %.1f s, %.1f CPU-s%n",
        layers,
        drop,
        STEPS,
        loss,
        gradient,
        parameter,
        (System.nanoTime() - wallStart) / 1e9,
        (processCpuNanos() - cpuStart) / 1e9);
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * The engine's network ({@link CharRnnNetwork#configuration}) on fused or stock layers, with
   * fixed dropout masks (where the configuration has dropout) and plain SGD.
   */
  private static MultiLayerNetwork network(ModelConfig config, boolean fused, AtomicLong step) {
    MultiLayerConfiguration conf = CharRnnNetwork.configuration(config, SEQ, LEARNING_RATE, SEED);
    FusedLayers.useFused(conf, fused);
    int dropouts = 0;
    for (int i = 0; i < conf.getConfs().size(); i++) {
      Layer layer = conf.getConf(i).getLayer();
      if (layer.getIDropout() != null) {
        layer.setIDropout(new FixedMaskDropout(1 - config.dropRate(), 100 + i, BATCH, step));
        dropouts++;
      }
      ((BaseLayer) layer).setIUpdater(new Sgd(LEARNING_RATE));
    }
    assertThat(dropouts)
        .as("dropout on every LSTM's input and on the output layer's")
        .isEqualTo(config.dropRate() > 0 ? config.numLayers() + 1 : 0);
    MultiLayerNetwork net = fused ? new MultiLayerNetwork(conf) : new TbpttOracleNetwork(conf);
    net.init();
    for (int i = 1; i <= config.numLayers(); i++) {
      assertThat(net.getLayer(i) instanceof FusedLstmLayer).isEqualTo(fused);
    }
    assertThat(net.getLayer(config.numLayers() + 1) instanceof FusedSoftmaxOutputLayer)
        .isEqualTo(fused);
    return net;
  }

  /** Per layer with dropout: how often it has applied its mask forwards and backwards. */
  private static int[][] dropoutCalls(MultiLayerNetwork net) {
    int[][] calls = new int[net.getnLayers()][];
    for (int i = 0; i < calls.length; i++) {
      if (net.getLayer(i).conf().getLayer().getIDropout() instanceof FixedMaskDropout d) {
        calls[i] = new int[] {d.applied(), d.backpropagated()};
      }
    }
    return calls;
  }

  /** Every layer with dropout applied its mask in this step's forward and backward passes. */
  private static void assertMasksApplied(
      MultiLayerNetwork net, int[][] before, String which, int step) {
    int[][] after = dropoutCalls(net);
    for (int i = 0; i < after.length; i++) {
      if (after[i] != null) {
        assertThat(after[i][0])
            .as("%s layer %d applied its dropout mask forwards at step %d", which, i, step)
            .isGreaterThan(before[i][0]);
        assertThat(after[i][1])
            .as("%s layer %d applied its dropout mask backwards at step %d", which, i, step)
            .isGreaterThan(before[i][1]);
      }
    }
  }

  /**
   * max |fused - stock| over max |stock - start|: the error of the parameters' displacement from
   * their common start, relative to its size, less the float32 rounding of the parameters
   * themselves (one ulp per update: the two networks round p - update separately).
   */
  private static double displacementError(float[] fused, float[] stock, float[] start, int steps) {
    double largest = 0;
    double excess = 0;
    for (int i = 0; i < stock.length; i++) {
      largest = Math.max(largest, Math.abs((double) stock[i] - start[i]));
      double rounding = steps * (double) Math.ulp(Math.max(Math.abs(stock[i]), Math.abs(start[i])));
      excess = Math.max(excess, Math.abs((double) fused[i] - stock[i]) - rounding);
    }
    return excess / Math.max(largest, 1e-12);
  }

  /**
   * [step][features, labels][batch x seq]: consecutive windows of 64 streams of a noisy pattern.
   */
  private static float[][][] batches(int steps) {
    Random random = new Random(SEED);
    int streamLength = steps * SEQ + 1;
    int[] corpus = new int[BATCH * streamLength];
    for (int i = 0; i < corpus.length; i++) {
      corpus[i] = random.nextInt(8) == 0 ? random.nextInt(VOCAB) : (i * 7 % 31) + (i / 31 % 3);
    }
    float[][][] out = new float[steps][2][BATCH * SEQ];
    for (int s = 0; s < steps; s++) {
      for (int b = 0; b < BATCH; b++) {
        for (int t = 0; t < SEQ; t++) {
          int at = b * streamLength + s * SEQ + t;
          out[s][0][b * SEQ + t] = corpus[at];
          out[s][1][b * SEQ + t] = corpus[at + 1];
        }
      }
    }
    return out;
  }

  private static Map<String, float[]> floats(Map<String, INDArray> table) {
    Map<String, float[]> out = new LinkedHashMap<>();
    table.forEach((k, v) -> out.put(k, v.dup('c').data().asFloat()));
    return out;
  }

  /** The largest error seen, and where. */
  private static final class Worst {
    private double error;
    private String where = "-";

    double see(double value, String at) {
      if (value >= error) {
        error = value;
        where = at;
      }
      return value;
    }

    @Override
    public String toString() {
      return String.format("%.2e (%s)", error, where);
    }
  }
}
