package io.charstream.model.layers;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.model.kernel.FusedRuntime;
import java.util.Random;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.recurrent.LSTM;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The fused backward pass (weight and input gradients) against DL4J's stock LSTM. */
class FusedLstmBackwardTest {

  private static final double TOLERANCE = 5e-6;
  private static final String[] PARAMS = {"W", "RW", "b"};

  @AfterEach
  void resetThreads() {
    FusedRuntime.setThreads(FusedRuntime.configuredThreads());
    FusedRuntime.setVectorKernels(null);
  }

  @ParameterizedTest(
      name = "batch {0}, steps {1}, nIn {2}, hidden {3}, threads {4}, layouts {5}{6}")
  @CsvSource({
    "64, 24, 32, 128, 2, s, f",
    "64, 24, 32, 128, 1, f, s",
    "64, 24, 32, 128, 2, c, c",
    "37, 17, 20, 48, 2, f, f",
    "37, 17, 20, 48, 2, s, s",
    "2, 3, 5, 8, 1, c, s"
  })
  void gradientsFromZeroStateMatchStock(
      int batch, int steps, int nIn, int hidden, int threads, char inLayout, char epsLayout) {
    FusedRuntime.setThreads(threads);
    LayerPair pair = new LayerPair(nIn, hidden, 21);
    Random random = new Random(4);
    INDArray input = LayerPair.uniform(random, new long[] {batch, nIn, steps}, 1.5);
    INDArray epsilon = LayerPair.uniform(random, new long[] {batch, hidden, steps}, 1.0);
    LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();

    pair.stock.activate(input.dup(), true, ws);
    Pair<Gradient, INDArray> expected = pair.stock.backpropGradient(epsilon.dup(), ws);
    pair.fused.activate(LayerPair.inLayout(input, inLayout), true, ws);
    Pair<Gradient, INDArray> actual =
        pair.fused.backpropGradient(LayerPair.inLayout(epsilon, epsLayout), ws);

    assertSameGradients(actual, expected);
  }

  /**
   * The BLAS recurrence, which runs where the Vector API module is missing, is an oracle match too.
   */
  @ParameterizedTest(name = "batch {0}, hidden {1}, threads {2}")
  @CsvSource({"64, 128, 2", "37, 48, 2", "37, 48, 1"})
  void blasRecurrenceMatchesStock(int batch, int hidden, int threads) {
    FusedRuntime.setThreads(threads);
    FusedRuntime.setVectorKernels(false);
    assertThat(FusedRuntime.vectorKernels()).isFalse();
    LayerPair pair = new LayerPair(20, hidden, 21);
    Random random = new Random(4);
    INDArray input = LayerPair.uniform(random, new long[] {batch, 20, 17}, 1.5);
    INDArray epsilon = LayerPair.uniform(random, new long[] {batch, hidden, 17}, 1.0);
    LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();

    pair.stock.activate(input.dup(), true, ws);
    Pair<Gradient, INDArray> expected = pair.stock.backpropGradient(epsilon.dup(), ws);
    pair.fused.activate(LayerPair.inLayout(input, 's'), true, ws);
    Pair<Gradient, INDArray> actual =
        pair.fused.backpropGradient(LayerPair.inLayout(epsilon, 's'), ws);

    assertSameGradients(actual, expected);
  }

  @ParameterizedTest(name = "steps {0}, backward length {1}, threads {2}")
  @CsvSource({"20, 20, 2", "20, 7, 2", "20, 7, 1"})
  void truncatedBpttFromStoredStateMatchesStock(int steps, int backwardLength, int threads) {
    FusedRuntime.setThreads(threads);
    int batch = 48;
    int nIn = 24;
    int hidden = 64;
    LayerPair pair = new LayerPair(nIn, hidden, 8);
    Random random = new Random(13);
    pair.setRandomState(random, batch);
    INDArray input = LayerPair.uniform(random, new long[] {batch, nIn, steps}, 1.5);
    INDArray epsilon = LayerPair.uniform(random, new long[] {batch, hidden, steps}, 1.0);
    LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();
    LSTM stock = (LSTM) pair.stock;
    LSTM fused = (LSTM) pair.fused;

    stock.rnnActivateUsingStoredState(input.dup(), true, true, ws);
    Pair<Gradient, INDArray> expected =
        stock.tbpttBackpropGradient(epsilon.dup(), backwardLength, ws);
    fused.rnnActivateUsingStoredState(LayerPair.inLayout(input, 'f'), true, true, ws);
    Pair<Gradient, INDArray> actual =
        fused.tbpttBackpropGradient(LayerPair.inLayout(epsilon, 's'), backwardLength, ws);

    assertSameGradients(actual, expected);
    for (String key : new String[] {LSTM.STATE_KEY_PREV_ACTIVATION, LSTM.STATE_KEY_PREV_MEMCELL}) {
      assertThat(
              LayerPair.relativeError(
                  fused.rnnGetTBPTTState().get(key), stock.rnnGetTBPTTState().get(key)))
          .as(key)
          .isLessThan(TOLERANCE);
    }
  }

  private static void assertSameGradients(
      Pair<Gradient, INDArray> actual, Pair<Gradient, INDArray> expected) {
    for (String name : PARAMS) {
      INDArray a = actual.getFirst().getGradientFor(name);
      INDArray e = expected.getFirst().getGradientFor(name);
      assertThat(a.shape()).as(name).containsExactly(e.shape());
      assertThat(LayerPair.relativeError(a, e)).as("gradient of %s", name).isLessThan(TOLERANCE);
    }
    assertThat(actual.getSecond().shape()).containsExactly(expected.getSecond().shape());
    assertThat(LayerPair.relativeError(actual.getSecond(), expected.getSecond()))
        .as("input gradient")
        .isLessThan(TOLERANCE);
  }
}
