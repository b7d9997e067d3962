package io.charstream.model.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The generation step's one-pass LSTM cell: the same bits as {@link GateMath}'s loops (what the
 * other kernels and the gate arithmetic of training use), across the clamps, signed zeros and NaN.
 */
class CellVectorTest {

  private static final int HIDDEN = 128;

  @Test
  void givesGateMathsValuesBitForBit() {
    assertThat(CellVector.supports(HIDDEN)).isTrue();
    Random random = new Random(7);
    float[] special = {0f, -0f, 8f, -8f, 16f, -16f, 30f, -30f, 1e-8f, -1e-8f, Float.NaN};
    for (int round = 0; round < 200; round++) {
      float[] z = new float[4 * HIDDEN + 16]; // a row of the product, at an offset
      int off = round % 2 == 0 ? 0 : 16;
      float[] cPrev = new float[HIDDEN];
      for (int j = 0; j < 4 * HIDDEN; j++) {
        z[off + j] = value(random, special, round);
      }
      for (int j = 0; j < HIDDEN; j++) {
        cPrev[j] = value(random, special, round);
      }
      float[] c = cPrev.clone();
      float[] h = new float[HIDDEN];
      CellVector.row(z, off, HIDDEN, c, h);

      float[] expectedC = new float[HIDDEN];
      float[] expectedH = new float[HIDDEN];
      gateMath(z, off, cPrev, expectedC, expectedH);
      for (int j = 0; j < HIDDEN; j++) {
        assertThat(Float.floatToIntBits(c[j]))
            .as("round %d c[%d]: %s vs %s", round, j, c[j], expectedC[j])
            .isEqualTo(Float.floatToIntBits(expectedC[j]));
        assertThat(Float.floatToIntBits(h[j]))
            .as("round %d h[%d]: %s vs %s", round, j, h[j], expectedH[j])
            .isEqualTo(Float.floatToIntBits(expectedH[j]));
      }
    }
  }

  /** Mostly Gaussian values at several scales, some of them special. */
  private static float value(Random random, float[] special, int round) {
    if (random.nextInt(20) == 0) {
      return special[random.nextInt(special.length)];
    }
    return (float) (random.nextGaussian() * (1 + round % 5) * 3);
  }

  /** The arithmetic FusedStep did before: one GateMath pass per gate, then the cell and h. */
  private static void gateMath(float[] z, int off, float[] cPrev, float[] c, float[] h) {
    int n = HIDDEN;
    float[] zero = new float[n];
    float[] a = new float[n];
    float[] f = new float[n];
    float[] o = new float[n];
    float[] g = new float[n];
    float[] tc = new float[n];
    GateMath.tanh(slice(z, off, n), a, n);
    GateMath.sigmoid(slice(z, off + n, n), zero, f, n);
    GateMath.sigmoid(slice(z, off + 2 * n, n), zero, o, n);
    GateMath.sigmoid(slice(z, off + 3 * n, n), zero, g, n);
    GateMath.cell(f, cPrev, g, a, c, n);
    GateMath.tanh(c, tc, n);
    GateMath.mul(o, tc, h, n);
  }

  private static float[] slice(float[] z, int from, int n) {
    float[] out = new float[n];
    System.arraycopy(z, from, out, 0, n);
    return out;
  }
}
