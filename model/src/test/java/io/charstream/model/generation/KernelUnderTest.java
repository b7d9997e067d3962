package io.charstream.model.generation;

import static org.assertj.core.api.Assertions.fail;

import io.charstream.model.EngineOptions;
import io.charstream.model.kernel.BlasRows;
import io.charstream.model.kernel.FusedRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * The generation kernel a test execution must run on. model/pom.xml runs the tests tagged {@value
 * #TAG} three times: on the Vector API kernel ({@code StepGemm}, the default), on the plain-Java
 * kernel ({@code MatVec}: the Vector API and OpenBLAS switched off for generation) and on OpenBLAS
 * ({@code BlasRows}, with OPENBLAS_CORETYPE=SkylakeX, whose kernels pass the batch-invariance check
 * on AVX-512 CPUs). Each execution names its kernel in the system property {@value #PROPERTY};
 * every model those tests build is checked against it, so an execution that silently fell back to
 * another kernel fails instead of testing the wrong one.
 */
public final class KernelUnderTest {

  /** "vector", "java" or "openblas"; unset (a run outside Maven) checks nothing. */
  public static final String PROPERTY = "charstream.test.generation-kernel";

  /** The JUnit tag of the test classes the extra surefire executions run on the other kernels. */
  public static final String TAG = "generation-kernel";

  private KernelUnderTest() {}

  /** The kernel this execution requires, or null outside Maven. */
  public static String required() {
    String value = System.getProperty(PROPERTY);
    if (value == null || value.isBlank()) {
      return null;
    }
    if (!value.equals("vector") && !value.equals("java") && !value.equals("openblas")) {
      throw new IllegalArgumentException(
          "system property " + PROPERTY + " must be vector, java or openblas, got '" + value + "'");
    }
    return value;
  }

  /** Fails, saying why, unless {@code model} runs on the kernel this execution requires. */
  public static <M extends GenerationModel> M check(M model) {
    String required = required();
    if (required != null && !required.equals(model.kernel())) {
      fail(
          "this test execution must generate on the '%s' kernel (system property %s), but"
              + " FusedStep chose '%s': %s",
          required, PROPERTY, model.kernel(), why());
    }
    return model;
  }

  private static String why() {
    if (FusedRuntime.vectorKernels()) {
      return "the Vector API is on ("
          + EngineOptions.Setting.VECTOR.property
          + "), so the vector kernel comes first";
    }
    if (required().equals("vector")) {
      return "the vector kernel needs "
          + EngineOptions.Setting.VECTOR.property
          + " true and the JVM option --add-modules="
          + FusedRuntime.VECTOR_MODULE
          + " (vectors of 8 floats or more)";
    }
    String core = System.getenv().getOrDefault("OPENBLAS_CORETYPE", "(unset)");
    if (!FusedRuntime.generationBlas()) {
      return EngineOptions.Setting.GENERATION_BLAS.property
          + " / "
          + EngineOptions.Setting.GENERATION_BLAS.env
          + " is false, so OpenBLAS is never tried";
    }
    Random random = new Random(1);
    boolean invariant =
        blasRows(random, 128, 512).isBatchInvariant(1)
            && blasRows(random, 128, 98).isBatchInvariant(2);
    return "OpenBLAS with OPENBLAS_CORETYPE="
        + core
        + (invariant ? " passes" : " fails")
        + " the batch-invariance check (BlasRows.isBatchInvariant) on this machine (CPU "
        + cpu()
        + "); the OpenBLAS kernel needs OpenBLAS's SkylakeX kernels, which pass it on AVX-512"
        + " CPUs (Haswell's do not), so run this execution on an AVX-512 machine";
  }

  private static BlasRows blasRows(Random random, int k, int n) {
    float[][] w = new float[k][n];
    for (float[] row : w) {
      for (int j = 0; j < n; j++) {
        row[j] = (float) random.nextGaussian();
      }
    }
    return new BlasRows(w, k, n);
  }

  private static String cpu() {
    try {
      String info = Files.readString(Path.of("/proc/cpuinfo"));
      String model =
          info.lines()
              .filter(l -> l.startsWith("model name"))
              .findFirst()
              .map(l -> l.substring(l.indexOf(':') + 1).trim())
              .orElse("unknown");
      return model + (info.contains(" avx512f") ? ", with avx512f" : ", without avx512f");
    } catch (IOException | RuntimeException e) {
      return "unknown: " + e;
    }
  }
}
