package io.charstream.model.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Vector API recurrence kernels against plain double-precision loops. */
class LstmVectorKernelsTest {

  @Test
  void testJvmsRunTheVectorKernels() {
    // The build passes --add-modules jdk.incubator.vector to every test JVM, so the layer oracle
    // tests exercise this path; without it they would silently test only the BLAS fallback.
    assertThat(FusedRuntime.vectorModulePresent()).isTrue();
    assertThat(FusedRuntime.vectorKernels()).isTrue();
    assertThat(LstmVectorKernels.supports(128)).isTrue();
    assertThat(LstmVectorKernels.supports(LstmVectorKernels.LANES + 1)).isFalse();
  }

  @ParameterizedTest(name = "rows {0}, hidden {1}, h from row {2}")
  @CsvSource({"32, 128, 0", "7, 128, 3", "5, 48, 1", "1, 16, 0", "9, 80, 2"})
  void projectionAndGradientMatchPlainLoops(int rows, int hidden, int hFrom) {
    if (!LstmVectorKernels.supports(hidden)) {
      assertThat(LstmVectorKernels.LANES).isGreaterThan(16); // only on wider-than-AVX-512 JVMs
      return;
    }
    Random random = new Random(rows * 31L + hidden);
    int gates = 4 * hidden;
    float[] rwt = uniform(random, gates * hidden); // RW^T [4H][H]
    float[] h = uniform(random, (hFrom + rows) * hidden); // h[t-1] at an offset, as in training
    float[] z = uniform(random, rows * gates);
    float[] eps = uniform(random, rows * hidden);
    float[] dz = uniform(random, rows * gates);

    float[] packed = new float[gates * hidden];
    LstmVectorKernels.packRecurrent(rwt, hidden, packed);
    float[] zOut = z.clone();
    LstmVectorKernels.recurrentProjection(zOut, packed, h, hFrom * hidden, rows, hidden);
    float[] dh = new float[rows * hidden];
    LstmVectorKernels.recurrentGradient(eps, dz, rwt, rows, hidden, dh);

    for (int r = 0; r < rows; r++) {
      for (int col = 0; col < gates; col++) {
        double expected = z[r * gates + col];
        for (int k = 0; k < hidden; k++) {
          expected += (double) h[(hFrom + r) * hidden + k] * rwt[col * hidden + k];
        }
        assertThat((double) zOut[r * gates + col])
            .as("z[%d][%d]", r, col)
            .isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-4));
      }
      for (int k = 0; k < hidden; k++) {
        double expected = eps[r * hidden + k];
        for (int col = 0; col < gates; col++) {
          expected += (double) dz[r * gates + col] * rwt[col * hidden + k];
        }
        assertThat((double) dh[r * hidden + k])
            .as("dh[%d][%d]", r, k)
            .isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-4));
      }
    }
  }

  @Test
  void aRowsResultDoesNotDependOnItsBlock() {
    // Rows go through the 4-row and the 1-row kernels depending on the slice size: both must round
    // alike, so that training does not depend on how the batch is split over threads.
    int hidden = 64;
    int gates = 4 * hidden;
    Random random = new Random(3);
    float[] rwt = uniform(random, gates * hidden);
    float[] packed = new float[gates * hidden];
    LstmVectorKernels.packRecurrent(rwt, hidden, packed);
    float[] h = uniform(random, 5 * hidden);
    float[] z = uniform(random, 5 * gates);
    float[] all = z.clone();
    LstmVectorKernels.recurrentProjection(all, packed, h, 0, 5, hidden);
    float[] dhAll = new float[5 * hidden];
    LstmVectorKernels.recurrentGradient(h, z, rwt, 5, hidden, dhAll);
    for (int r = 0; r < 5; r++) {
      float[] one = java.util.Arrays.copyOfRange(z, r * gates, (r + 1) * gates);
      float[] hRow = java.util.Arrays.copyOfRange(h, r * hidden, (r + 1) * hidden);
      LstmVectorKernels.recurrentProjection(one, packed, hRow, 0, 1, hidden);
      assertThat(one)
          .containsExactly(java.util.Arrays.copyOfRange(all, r * gates, (r + 1) * gates));
      float[] dh = new float[hidden];
      float[] dzRow = java.util.Arrays.copyOfRange(z, r * gates, (r + 1) * gates);
      LstmVectorKernels.recurrentGradient(hRow, dzRow, rwt, 1, hidden, dh);
      assertThat(dh)
          .containsExactly(java.util.Arrays.copyOfRange(dhAll, r * hidden, (r + 1) * hidden));
    }
  }

  private static float[] uniform(Random random, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = random.nextFloat() * 2f - 1f;
    }
    return out;
  }
}
