package io.charstream.model.layers;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.model.kernel.FusedRuntime;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.layers.recurrent.LSTM;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The fused forward pass against DL4J's stock LSTM (the oracle), on random weights and inputs. */
class FusedLstmForwardTest {

  private static final double TOLERANCE = 5e-6;

  @AfterEach
  void resetThreads() {
    FusedRuntime.setThreads(FusedRuntime.configuredThreads());
  }

  @ParameterizedTest(name = "batch {0}, steps {1}, nIn {2}, hidden {3}, threads {4}, layout {5}")
  @CsvSource({
    "64, 24, 32, 128, 2, s",
    "64, 24, 32, 128, 1, f",
    "64, 24, 32, 128, 2, c",
    "37, 17, 20, 48, 2, f",
    "37, 17, 20, 48, 2, s",
    "1, 5, 7, 16, 2, s",
    "3, 1, 8, 8, 1, c"
  })
  void activationsFromZeroStateMatchStock(
      int batch, int steps, int nIn, int hidden, int threads, char layout) {
    FusedRuntime.setThreads(threads);
    LayerPair pair = new LayerPair(nIn, hidden, 11);
    INDArray input = LayerPair.uniform(new Random(5), new long[] {batch, nIn, steps}, 1.5);
    LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();

    INDArray expected = pair.stock.activate(input.dup(), false, ws);
    INDArray actual = pair.fused.activate(LayerPair.inLayout(input, layout), false, ws);

    assertThat(actual.shape()).containsExactly(expected.shape());
    assertThat(LayerPair.relativeError(actual, expected)).isLessThan(TOLERANCE);
  }

  @Test
  void storedStateCarriesLikeStock() {
    FusedRuntime.setThreads(2);
    int batch = 32;
    int nIn = 16;
    int hidden = 64;
    LayerPair pair = new LayerPair(nIn, hidden, 3);
    Random random = new Random(9);
    pair.setRandomState(random, batch);
    LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();
    LSTM stock = (LSTM) pair.stock;
    LSTM fused = (LSTM) pair.fused;
    // Three segments, each starting where the last ended: through rnnActivateUsingStoredState
    // (truncated BPTT) and through rnnTimeStep.
    for (int segment = 0; segment < 3; segment++) {
      INDArray input = LayerPair.uniform(random, new long[] {batch, nIn, 20}, 1.0);
      INDArray expected = stock.rnnActivateUsingStoredState(input.dup(), true, true, ws);
      INDArray actual = fused.rnnActivateUsingStoredState(input.dup(), true, true, ws);
      assertThat(LayerPair.relativeError(actual, expected))
          .as("segment %d", segment)
          .isLessThan(TOLERANCE);
      assertStateClose(fused.rnnGetTBPTTState(), stock.rnnGetTBPTTState());

      INDArray step = LayerPair.uniform(random, new long[] {batch, nIn, 1}, 1.0);
      assertThat(
              LayerPair.relativeError(
                  fused.rnnTimeStep(step.dup(), ws), stock.rnnTimeStep(step.dup(), ws)))
          .isLessThan(TOLERANCE);
      assertStateClose(fused.rnnGetPreviousState(), stock.rnnGetPreviousState());
    }
  }

  private static void assertStateClose(
      Map<String, INDArray> actual, Map<String, INDArray> expected) {
    for (String key : new String[] {LSTM.STATE_KEY_PREV_ACTIVATION, LSTM.STATE_KEY_PREV_MEMCELL}) {
      assertThat(LayerPair.relativeError(actual.get(key), expected.get(key)))
          .as(key)
          .isLessThan(TOLERANCE);
    }
  }
}
