package io.charstream.model.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.charstream.model.ModelConfig;
import io.charstream.model.Tensor;
import io.charstream.model.kernel.FusedRuntime;
import io.charstream.model.kernel.Pointers;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.Loader;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.L2Regularization;

/**
 * {@link FusedAdam} against DL4J's path ({@link TrainingStep} with the fused update off: ND4J's
 * norm2, the clip's multiply, DL4J's MultiLayerUpdater and native adam_updater, params -= update)
 * on the reference model's 229,794 parameters (two slices on two threads), with random gradients
 * over six orders of magnitude: steps that do not clip, that clip, that lie just above and just
 * below the threshold (where the fused path must reproduce DL4J's float32 norm to decide), rate
 * scales other than 1 and late iterations (the bias correction). Parameters and Adam state must
 * match bit for bit where nd4j-native's avx2/avx512 build runs (the CI and production machines; it
 * compiles a * b + c into fused multiply-adds as {@link io.charstream.model.kernel.AdamKernels}
 * does), else within a few float32 roundings.
 */
class FusedAdamTest {

  private static final ModelConfig REFERENCE = new ModelConfig(98, 32, 128, 2, 0.0);
  private static final int BATCH = 64;
  private static final int SEQ = 64;
  private static final double CLIP = 5.0;

  /** Per step: iteration, the mean-loss gradient's norm over CLIP, rate scale. */
  private static final double[][] STEPS = {
    {0, 0.2, 1.0},
    {1, 4.0, 1.0},
    {2, 0.1, 0.5},
    {3, 1.0005, 1.0},
    {4, 0.9995, 0.37},
    {5, 0.999999, 1.0},
    {999, 2.5, 0.37},
    {12_345, 0.3, 1.0},
    {100_000, 7.0, 0.9},
  };

  @AfterEach
  void restoreRuntime() {
    FusedRuntime.setThreads(FusedRuntime.configuredThreads());
    FusedRuntime.setVectorKernels(null);
  }

  @ParameterizedTest(name = "{0} thread(s), vector kernels {1}")
  @CsvSource({"2, true", "2, false", "1, true"})
  void clipsAndUpdatesAsDl4jsUpdaterDoes(int threads, boolean vector) {
    FusedRuntime.setThreads(threads);
    FusedRuntime.setVectorKernels(vector);
    MultiLayerNetwork fusedNet = CharRnnNetwork.create(REFERENCE, SEQ, 0.002, 5L);
    MultiLayerNetwork dl4jNet = CharRnnNetwork.create(REFERENCE, SEQ, 0.002, 5L);
    assertThat(floats(fusedNet.params())).isEqualTo(floats(dl4jNet.params()));
    TrainingStep fused = new TrainingStep(fusedNet, BATCH, SEQ, CLIP);
    TrainingStep dl4j = new TrainingStep(dl4jNet, BATCH, SEQ, CLIP, false);
    assertThat(fused.usesFusedUpdate()).isTrue();
    assertThat(dl4j.usesFusedUpdate()).isFalse();
    SplittableRandom random = new SplittableRandom(6L);
    int clipped = 0;
    for (double[] step : STEPS) {
      float[] g = gradient(random, (int) fusedNet.numParams(), step[1] * CLIP * BATCH * SEQ);
      setGradient(fusedNet, g);
      setGradient(dl4jNet, g);
      double fusedFactor = fused.clipGradient();
      double dl4jFactor = dl4j.clipGradient();
      String at = "iteration " + (long) step[0];
      if (exact()) {
        assertThat(fusedFactor).as("clip factor at %s", at).isEqualTo(dl4jFactor);
      } else {
        assertThat(fusedFactor).as("clip factor at %s", at).isCloseTo(dl4jFactor, within(1e-6));
      }
      assertThat(fused.lastGradientNorm())
          .as("norm at %s", at)
          .isCloseTo(dl4j.lastGradientNorm(), within(1e-3 * dl4j.lastGradientNorm()));
      if (dl4jFactor != 1.0) {
        clipped++;
        if (exact()) {
          assertThat(fused.lastGradientNorm())
              .as("norm at %s", at)
              .isEqualTo(dl4j.lastGradientNorm());
        }
      }
      fused.applyUpdate((long) step[0], 0, step[2]);
      dl4j.applyUpdate((long) step[0], 0, step[2]);
      assertSame(fusedNet.params(), dl4jNet.params(), "parameters after " + at);
      assertSame(
          fusedNet.getUpdater().getStateViewArray(),
          dl4jNet.getUpdater().getStateViewArray(),
          "Adam state after " + at);
    }
    assertThat(clipped).as("steps that clipped").isGreaterThanOrEqualTo(4);
  }

  /**
   * DL4J's Adam state (a checkpoint of the unfused path) continues bit for bit on the fused one.
   */
  @Test
  void continuesFromDl4jsOptimizerState() {
    MultiLayerNetwork dl4jNet = CharRnnNetwork.create(REFERENCE, SEQ, 0.001, 7L);
    TrainingStep dl4j = new TrainingStep(dl4jNet, BATCH, SEQ, CLIP, false);
    SplittableRandom random = new SplittableRandom(8L);
    int n = (int) dl4jNet.numParams();
    for (int t = 0; t < 2; t++) {
      setGradient(dl4jNet, gradient(random, n, 0.5 * CLIP * BATCH * SEQ));
      dl4j.clipGradient();
      dl4j.applyUpdate(t, 0, 1.0);
    }
    MultiLayerNetwork fusedNet = CharRnnNetwork.create(REFERENCE, SEQ, 0.001, 9L);
    fusedNet.setParams(dl4jNet.params().dup());
    TrainingStep fused = new TrainingStep(fusedNet, BATCH, SEQ, CLIP);
    assertThat(fused.usesFusedUpdate()).isTrue();
    Tensor state = dl4j.optimizerState();
    fused.setOptimizerState(state);
    assertThat(fused.usesFusedUpdate()).as("a plan for the restored updater").isTrue();
    assertThat(fused.optimizerState()).isEqualTo(state);
    float[] g = gradient(random, n, 3.0 * CLIP * BATCH * SEQ);
    setGradient(dl4jNet, g);
    setGradient(fusedNet, g);
    assertThat(fused.clipGradient()).isEqualTo(dl4j.clipGradient()).isLessThan(1.0);
    dl4j.applyUpdate(2, 0, 1.0);
    fused.applyUpdate(2, 0, 1.0);
    assertSame(fusedNet.params(), dl4jNet.params(), "parameters");
    assertThat(fused.optimizerState()).isEqualTo(dl4j.optimizerState());
  }

  /** What the fused path would not reproduce runs on DL4J's updater. */
  @Test
  void otherUpdatersAndRegularizationStayOnDl4jsPath() {
    ModelConfig small = new ModelConfig(11, 4, 8, 1, 0.0);
    MultiLayerConfiguration sgd = CharRnnNetwork.configuration(small, 5, 0.01, 1L);
    sgd.getConfs().forEach(c -> ((BaseLayer) c.getLayer()).setIUpdater(new Sgd(0.01)));
    MultiLayerConfiguration l2 = CharRnnNetwork.configuration(small, 5, 0.01, 1L);
    ((BaseLayer) l2.getConf(1).getLayer())
        .setRegularization(java.util.List.of(new L2Regularization(1e-4)));
    for (MultiLayerConfiguration conf : new MultiLayerConfiguration[] {sgd, l2}) {
      MultiLayerNetwork net = new MultiLayerNetwork(conf);
      net.init();
      assertThat(new TrainingStep(net, 3, 5, CLIP).usesFusedUpdate()).isFalse();
    }
    MultiLayerNetwork adam = CharRnnNetwork.create(small, 5, 0.01, 1L);
    assertThat(new TrainingStep(adam, 3, 5, CLIP).usesFusedUpdate()).isTrue();
  }

  /** Gaussian values times 10^U(-6, 0), scaled so that the gradient's norm is {@code norm}. */
  private static float[] gradient(SplittableRandom random, int n, double norm) {
    double[] values = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      values[i] = random.nextGaussian() * Math.pow(10, -6 * random.nextDouble());
      sum += values[i] * values[i];
    }
    double scale = norm / Math.sqrt(sum);
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (values[i] * scale);
    }
    return out;
  }

  private static void setGradient(MultiLayerNetwork net, float[] g) {
    if (net.gradient() == null) {
      // one backward pass makes DL4J's Gradient (views into the flat gradient) that its updater
      // reads
      float[][] ids = CharRnnNetworkTest.randomIds(1, BATCH * SEQ, 1L);
      new TrainingStep(net, BATCH, SEQ, CLIP).computeGradient(ids[0], ids[0], 1L);
    }
    INDArray view = net.getFlattenedGradients();
    assertThat(Pointers.address(net.gradient().gradient())).isEqualTo(Pointers.address(view));
    view.assign(Nd4j.create(g, view.shape(), 'c'));
  }

  private static float[] floats(INDArray a) {
    return a.dup('c').data().asFloat();
  }

  /** Bit for bit on nd4j-native's avx2/avx512 builds; within a few roundings on the generic one. */
  private static void assertSame(INDArray fused, INDArray dl4j, String what) {
    float[] f = floats(fused);
    float[] d = floats(dl4j);
    assertThat(f.length).isEqualTo(d.length);
    if (exact()) {
      for (int i = 0; i < f.length; i++) {
        if (Float.floatToIntBits(f[i]) != Float.floatToIntBits(d[i])) {
          throw new AssertionError(
              what
                  + ": element "
                  + i
                  + " is "
                  + f[i]
                  + " fused, "
                  + d[i]
                  + " on DL4J's path (nd4j-native build "
                  + nativeBuild()
                  + ", expected bit for bit)");
        }
      }
      return;
    }
    for (int i = 0; i < f.length; i++) {
      assertThat(f[i])
          .as("%s: element %d", what, i)
          .isCloseTo(d[i], within(Math.max(4 * Math.ulp(d[i]), 1e-5f * Math.abs(d[i]))));
    }
  }

  /** Whether DL4J's native arithmetic has fused multiply-adds where the fused path has them. */
  private static boolean exact() {
    return !"generic".equals(nativeBuild());
  }

  /** Which nd4j-native build javacpp loaded: avx512, avx2 or generic. */
  private static String nativeBuild() {
    for (String path : Loader.getLoadedLibraries().values()) {
      if (path != null && path.contains("nd4jcpu")) {
        return path.contains("-avx512") ? "avx512" : path.contains("-avx2") ? "avx2" : "generic";
      }
    }
    throw new AssertionError("no nd4jcpu library loaded: " + Loader.getLoadedLibraries());
  }
}
