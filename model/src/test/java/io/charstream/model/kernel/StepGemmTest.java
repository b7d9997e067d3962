package io.charstream.model.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The generation step's vector kernel: close to plain double-precision loops, and each row's result
 * the same bit for bit whatever the other rows of the call and however many there are (the property
 * batched generation relies on).
 */
class StepGemmTest {

  @ParameterizedTest(name = "depth {0}, columns {1}")
  @CsvSource({"128, 512", "256, 512", "128, 98", "200, 16", "1, 5", "300, 70"})
  void rowsAreTheSameWhateverTheBatchAndCloseToPlainLoops(int depth, int columns) {
    Random random = new Random(depth * 31L + columns);
    float[][] w = new float[depth][columns];
    for (float[] row : w) {
      for (int j = 0; j < columns; j++) {
        row[j] = (float) random.nextGaussian();
      }
    }
    StepGemm gemm = new StepGemm(w, depth, columns);
    assertThat(gemm.stride() % StepGemm.BLOCK).isZero();
    assertThat(gemm.stride()).isBetween(columns, columns + StepGemm.BLOCK - 1);
    int maxRows = 11;
    float[][] x = new float[maxRows][depth];
    float[][] init = new float[maxRows][columns];
    for (int i = 0; i < maxRows; i++) {
      for (int p = 0; p < depth; p++) {
        x[i][p] = (float) random.nextGaussian();
      }
      for (int j = 0; j < columns; j++) {
        init[i][j] = (float) random.nextGaussian();
      }
    }
    float[][] alone = new float[maxRows][];
    for (int i = 0; i < maxRows; i++) {
      alone[i] = multiply(gemm, x, init, new int[] {i});
      for (int j = 0; j < columns; j++) {
        double expected = init[i][j];
        for (int p = 0; p < depth; p++) {
          expected += (double) x[i][p] * w[p][j];
        }
        assertThat((double) alone[i][j])
            .as("row %d column %d", i, j)
            .isCloseTo(expected, within(1e-4 * Math.sqrt(depth) * 4));
      }
    }
    for (int count = 2; count <= maxRows; count++) {
      // Rows in a shuffled order, so that each lands at another position of a row group.
      int[] order = new int[count];
      for (int i = 0; i < count; i++) {
        order[i] = (i * 7 + count) % maxRows;
      }
      float[] together = multiply(gemm, x, init, order);
      for (int i = 0; i < count; i++) {
        for (int j = 0; j < columns; j++) {
          assertThat(Float.floatToRawIntBits(together[i * gemm.stride() + j]))
              .as("row %d of %d (input %d), column %d", i, count, order[i], j)
              .isEqualTo(Float.floatToRawIntBits(alone[order[i]][j]));
        }
      }
    }
  }

  /** Rows {@code order} of x, with C starting as their rows of init, through the kernel. */
  private static float[] multiply(StepGemm gemm, float[][] x, float[][] init, int[] order) {
    int count = order.length;
    float[] a = new float[gemm.aSize(count)];
    float[] c = new float[gemm.cSize(count)];
    // Stale values everywhere, as a reused scratch has: the kernel must not read them.
    java.util.Arrays.fill(a, Float.NaN);
    java.util.Arrays.fill(c, Float.NaN);
    for (int i = 0; i < count; i++) {
      gemm.put(a, i, 0, x[order[i]], 0, gemm.depth());
      System.arraycopy(init[order[i]], 0, c, i * gemm.stride(), gemm.columns());
    }
    gemm.accumulate(a, c, count);
    if (count == 1) {
      return java.util.Arrays.copyOf(c, gemm.columns());
    }
    return c;
  }
}
