package io.charstream.model.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.charstream.model.generation.FusedStep;
import io.charstream.model.generation.FusedStepTest;
import io.charstream.model.generation.KernelUnderTest;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The OpenBLAS generation kernel against the plain-Java one, and its batch-invariance check (run
 * with both OPENBLAS_CORETYPEs model/pom.xml tests: Haswell and SkylakeX).
 */
@Tag(KernelUnderTest.TAG)
class BlasRowsTest {

  @Test
  void accumulatesLikeThePlainJavaKernel() {
    Random random = new Random(4);
    int k = 36;
    int n = 98; // not a multiple of the column padding
    float[][] w = matrix(random, k, n);
    float[][] x = matrix(random, 150, k); // more rows than one call takes
    float[][] expected = matrix(random, 150, n);
    float[][] actual = new float[150][];
    for (int i = 0; i < 150; i++) {
      actual[i] = expected[i].clone();
    }
    MatVec.accumulate(x, 0, w, k, expected, 0, 150, n);
    new BlasRows(w, k, n).accumulate(x, 0, actual, 0, 150, new BlasRows.Staging(k, n));
    for (int i = 0; i < 150; i++) {
      for (int j = 0; j < n; j++) {
        assertThat(actual[i][j])
            .as("row %d column %d", i, j)
            .isCloseTo(expected[i][j], within(1e-5f));
      }
    }
  }

  /**
   * The check tells the two OpenBLAS kernel families apart as measured on this machine: SkylakeX's
   * computes a row the same way whatever the batch (with padded columns), Haswell's does not.
   */
  @Test
  void batchInvarianceCheckMatchesTheKernelsMeasuredHere() {
    Random random = new Random(5);
    BlasRows lstm = new BlasRows(matrix(random, 128, 512), 128, 512);
    BlasRows output = new BlasRows(matrix(random, 128, 98), 128, 98);
    String core = System.getenv().getOrDefault("OPENBLAS_CORETYPE", "");
    boolean invariant = lstm.isBatchInvariant(1) && output.isBatchInvariant(2);
    if (core.equalsIgnoreCase("SkylakeX")) {
      assertThat(invariant).as("SkylakeX kernels are batch-invariant").isTrue();
    } else if (core.equalsIgnoreCase("Haswell")) {
      assertThat(invariant).as("Haswell kernels are not").isFalse();
    }
    // A FusedStep uses OpenBLAS exactly where it may (no vector kernel, and
    // charstream.fused.generation-blas) and its own matrices pass the check; and it is the kernel
    // this test execution requires.
    FusedStep step =
        KernelUnderTest.check(
            FusedStep.from(FusedStepTest.Model.random(16, 128, 2, 3).checkpoint()));
    assertThat(step.kernel())
        .isEqualTo(
            FusedRuntime.vectorKernels() && StepGemm.supported()
                ? "vector"
                : FusedRuntime.generationBlas() && invariant ? "openblas" : "java");
  }

  private static float[][] matrix(Random random, int rows, int cols) {
    float[][] m = new float[rows][cols];
    for (float[] row : m) {
      for (int j = 0; j < cols; j++) {
        row[j] = (float) random.nextGaussian();
      }
    }
    return m;
  }
}
