package io.charstream.model.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The softmax kernel's exp against {@code Math.exp}, the kernel against its scalar formula, and the
 * same bits from an interpreted and a compiled kernel.
 */
class SoftmaxKernelsTest {

  @Test
  void expIsWithinTwoUnitsInTheLastPlaceOfMathExp() {
    int worst = 0;
    for (float x = SoftmaxKernels.EXP_FLOOR; x <= 0f; x = Math.nextUp(x) + 1e-5f) {
      float expected = (float) Math.exp(x);
      int ulps =
          Math.abs(Float.floatToIntBits(SoftmaxKernels.exp(x)) - Float.floatToIntBits(expected));
      worst = Math.max(worst, ulps);
    }
    assertThat(worst).isLessThanOrEqualTo(2);
    assertThat(SoftmaxKernels.exp(0f)).isEqualTo(1f);
    assertThat(SoftmaxKernels.exp(-1000f)).isEqualTo(SoftmaxKernels.exp(SoftmaxKernels.EXP_FLOOR));
  }

  @ParameterizedTest(name = "vocab {0}, delta {1}")
  @CsvSource({"65, true", "98, false", "16, true", "17, true", "1, false"})
  void kernelComputesItsScalarFormulaBitForBit(int vocab, boolean delta) {
    int rows = 37;
    Random random = new Random(vocab);
    float[] logits = new float[rows * vocab + SoftmaxKernels.PADDING];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) (random.nextGaussian() * 4);
    }
    logits[3] = -500f; // far below its row's maximum: exp's floor
    int[] labels = new int[rows];
    for (int r = 0; r < rows; r++) {
      labels[r] = random.nextInt(vocab);
    }
    float clip = 1e-10f;
    float[] out = new float[rows * vocab];
    double[] loss = new double[rows];
    SoftmaxKernels.softmaxCrossEntropy(logits, out, labels, loss, 0, rows, vocab, clip, delta);

    float[] expected = new float[rows * vocab];
    double[] expectedLoss = new double[rows];
    for (int r = 0; r < rows; r++) {
      int base = r * vocab;
      float max = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < vocab; j++) {
        max = Math.max(max, logits[base + j]);
      }
      float[] e = new float[vocab];
      float sum = 0f;
      for (int j = 0; j < vocab; j++) {
        e[j] = SoftmaxKernels.exp(logits[base + j] - max);
        sum += e[j];
      }
      for (int j = 0; j < vocab; j++) {
        expected[base + j] = e[j] / sum;
      }
      expectedLoss[r] = -Math.log(Math.max(expected[base + labels[r]], clip));
      if (delta) {
        expected[base + labels[r]] -= 1f;
      }
    }
    assertThat(out).containsExactly(expected);
    assertThat(loss).containsExactly(expectedLoss);
  }

  /**
   * Runs {@link Probe} in a JVM that only interprets, in one that compiles the kernel before its
   * first call, and in one that runs it until the JIT has compiled it as it pleases: training's
   * first batches run the kernel before C2 has compiled it, later ones after, so all must give the
   * same bits. (With the JDK's vector exp the three gave three different hashes.)
   */
  @Test
  void givesTheSameBitsInterpretedAndCompiled() throws Exception {
    String interpreted = probe(1, "-Xint");
    String compiledFirst =
        probe(
            1,
            "-Xcomp",
            "-XX:-TieredCompilation",
            "-XX:CompileCommand=quiet",
            "-XX:CompileCommand=compileonly," + SoftmaxKernels.class.getName() + "::*");
    String warm = probe(300);
    assertThat(interpreted).startsWith("softmax bits").isEqualTo(compiledFirst).isEqualTo(warm);
  }

  private static String probe(int calls, String... jvmOptions)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(jvmOptions));
    command.add("--add-modules=jdk.incubator.vector");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Probe.class.getName());
    command.add(Integer.toString(calls));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("probe finished").isTrue();
    assertThat(process.exitValue()).as("probe exit status, output:%n%s", output).isZero();
    String[] lines = output.strip().split("\n");
    return lines[lines.length - 1];
  }

  /** Prints a hash of the kernel's output bits for a fixed input, after args[0] calls. */
  static final class Probe {
    public static void main(String[] args) {
      System.out.println(hash(Integer.parseInt(args[0])));
    }

    static String hash(int calls) {
      int rows = 4096;
      int vocab = 65;
      Random random = new Random(7);
      float[] logits = new float[rows * vocab + SoftmaxKernels.PADDING];
      for (int i = 0; i < logits.length; i++) {
        logits[i] = (float) (random.nextGaussian() * 4);
      }
      int[] labels = new int[rows];
      for (int r = 0; r < rows; r++) {
        labels[r] = random.nextInt(vocab);
      }
      float[] out = new float[rows * vocab];
      double[] loss = new double[rows];
      for (int call = 0; call < calls; call++) {
        SoftmaxKernels.softmaxCrossEntropy(logits, out, labels, loss, 0, rows, vocab, 1e-10f, true);
      }
      long hash = 17;
      for (float f : out) {
        hash = hash * 31 + Float.floatToRawIntBits(f);
      }
      for (double d : loss) {
        hash = hash * 31 + Double.doubleToRawLongBits(d);
      }
      return "softmax bits " + Long.toHexString(hash);
    }
  }
}
