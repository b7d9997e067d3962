package io.charstream.model.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Vector API GEMM against plain double-precision loops, in every layout of A. */
class VectorGemmTest {

  @AfterEach
  void restoreThreads() {
    FusedRuntime.setThreads(FusedRuntime.configuredThreads());
  }

  @ParameterizedTest(name = "{0}x{1}x{2}, A transposed {3}, accumulate {4}, threads {5}")
  @CsvSource({
    "64, 32, 300, false, false, 1",
    "512, 128, 600, true, false, 2",
    "13, 48, 7, false, true, 2",
    "1, 16, 1, true, true, 1",
    "9, 80, 513, true, true, 2",
    "3, 32, 40, false, false, 2"
  })
  void matchesPlainLoops(
      int rows, int columns, int depth, boolean aTransposed, boolean accumulate, int threads) {
    int lda = aTransposed ? rows + 3 : depth + 5; // padded, as the layers' views can be
    int rowStride = aTransposed ? 1 : lda;
    int depthStride = aTransposed ? lda : 1;
    assertMatchesPlainLoops(rows, columns, depth, rowStride, depthStride, accumulate, threads);
  }

  @ParameterizedTest(name = "{0}x{1}x{2}, A strided ({3}, {4})")
  @CsvSource({"24, 32, 300, 3, 77", "17, 64, 45, 50, 2"})
  void matchesPlainLoopsWithAStridedBothWays(
      int rows, int columns, int depth, int rowStride, int depthStride) {
    assertMatchesPlainLoops(rows, columns, depth, rowStride, depthStride, false, 2);
  }

  private static void assertMatchesPlainLoops(
      int rows,
      int columns,
      int depth,
      int rowStride,
      int depthStride,
      boolean accumulate,
      int threads) {
    Random random = new Random(rows * 131L + columns * 7L + depth);
    int ldb = columns + VectorGemm.LANES;
    int ldc = columns + 2 * VectorGemm.LANES;
    float[] a = uniform(random, 3 + (rows - 1) * rowStride + (depth - 1) * depthStride);
    float[] b = uniform(random, 1 + depth * ldb);
    float[] c = uniform(random, 4 + rows * ldc);
    float[] before = c.clone();

    FusedRuntime.setThreads(threads);
    VectorGemm.run(
        List.of(
            new VectorGemm.Job(
                rows,
                columns,
                depth,
                a,
                2,
                rowStride,
                depthStride,
                b,
                1,
                ldb,
                c,
                4,
                ldc,
                accumulate)),
        threads);

    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < ldc; j++) {
        int at = 4 + i * ldc + j;
        if (j >= columns) {
          assertThat(c[at]).as("padding C[%d][%d]", i, j).isEqualTo(before[at]);
          continue;
        }
        double expected = accumulate ? before[at] : 0.0;
        for (int k = 0; k < depth; k++) {
          expected += (double) a[2 + i * rowStride + k * depthStride] * b[1 + k * ldb + j];
        }
        assertThat((double) c[at])
            .as("C[%d][%d]", i, j)
            .isCloseTo(expected, Offset.offset(2e-5 * Math.max(1, Math.sqrt(depth))));
      }
    }
  }

  @ParameterizedTest(name = "threads {0}")
  @CsvSource({"1", "2", "3"})
  void resultsDoNotDependOnTheThreadCount(int threads) {
    Random random = new Random(5);
    int rows = 100;
    int columns = 64;
    int depth = 700;
    float[] a = uniform(random, rows * depth);
    float[] b = uniform(random, depth * columns);
    float[] one = new float[rows * columns];
    float[] many = new float[rows * columns];
    VectorGemm.Job single =
        new VectorGemm.Job(
            rows, columns, depth, a, 0, depth, 1, b, 0, columns, one, 0, columns, false);
    single.run(0, rows);
    FusedRuntime.setThreads(threads);
    VectorGemm.run(
        List.of(
            new VectorGemm.Job(
                rows, columns, depth, a, 0, depth, 1, b, 0, columns, many, 0, columns, false)),
        threads);
    assertThat(many).containsExactly(one);
  }

  @ParameterizedTest(name = "columns {0}")
  @CsvSource({"0", "15", "33"})
  void rejectsColumnCountsOffTheVectorWidth(int columns) {
    if (columns == 0) {
      assertThat(VectorGemm.supports(0)).isTrue();
      return;
    }
    assertThat(VectorGemm.supports(columns)).isFalse();
    assertThatThrownBy(
            () ->
                new VectorGemm.Job(
                    1,
                    columns,
                    1,
                    new float[1],
                    0,
                    1,
                    1,
                    new float[64],
                    0,
                    64,
                    new float[64],
                    0,
                    64,
                    false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("multiple of");
  }

  private static float[] uniform(Random random, int n) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = random.nextFloat() * 2 - 1;
    }
    return values;
  }
}
