package io.charstream.model.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax with cross entropy over rows of logits, in the Java Vector API, without ND4J's op
 * dispatch, on any thread. Only loaded where {@link FusedRuntime#vectorKernels()} is true (the
 * caller checks).
 *
 * <p>Its exp is {@link #exp}'s formula, made of additions, multiplications, fused multiply-adds and
 * bit moves only: operations whose results Java fixes exactly, so the vector code gives the same
 * bits whether C2 has compiled it or not. The JDK's own vector exp ({@code VectorOperators.EXP})
 * does not: compiled it is Intel's SVML, interpreted it is {@code Math.exp}, and the two differ in
 * the last bit for some inputs. Training's first batches run before C2 compiles this method, so
 * with it a run's losses depended on when the compiler finished (two runs of the fast preset's
 * first epoch ended 0.002 nats apart in held-out loss).
 */
public final class SoftmaxKernels {

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  /** exp's floor: exp(-87) = 1.6e-38 is still a normal float; softmax inputs are at most 0. */
  static final float EXP_FLOOR = -87f;

  private static final float LOG2E = 1.44269504f;

  /**
   * 1.5 x 2^23: adding it rounds a float of magnitude below 2^22 to an integer, which then sits in
   * the sum's low mantissa bits (the sum's bits are 0x4B400000 + n).
   */
  private static final float ROUND = 12582912f;

  /** Added to the sum's bits shifted left by 23 to give 2^n's: (127 - 0x4B400000) << 23. */
  private static final int EXPONENT_BIAS = (127 - 0x4B400000) << 23;

  /** ln 2 in two parts (Cody and Waite): n * LN2_HI is exact for |n| < 512. */
  private static final float LN2_HI = 0.693359375f;

  private static final float LN2_LO = -2.12194440e-4f;

  /** 1/k! for k = 7 down to 2: e^r on |r| <= ln(2)/2 to about one unit in the last place. */
  private static final float[] TAYLOR = {1f / 5040, 1f / 720, 1f / 120, 1f / 24, 1f / 6, 1f / 2};

  /** Elements past the last row of the logits that {@link #softmaxCrossEntropy} may read. */
  public static final int PADDING = S.length();

  private SoftmaxKernels() {}

  /**
   * For rows [from, to) of [rows][vocab] logits: probabilities p = softmax(x) (x - max, exp,
   * divided by the sum), each row's cross entropy -log(max(p[label], clip)) in {@code loss[r]},
   * and, with {@code delta}, p minus the one-hot label in place of p.
   *
   * @param logits the logits, with {@link #PADDING} readable elements after the last row
   * @param out the probabilities or deltas (rows [from, to) only are written)
   */
  public static void softmaxCrossEntropy(
      float[] logits,
      float[] out,
      int[] labels,
      double[] loss,
      int from,
      int to,
      int vocab,
      float clip,
      boolean delta) {
    float[] row = new float[vocab + PADDING];
    FloatVector floor = FloatVector.broadcast(S, EXP_FLOOR);
    FloatVector log2e = FloatVector.broadcast(S, LOG2E);
    FloatVector magic = FloatVector.broadcast(S, ROUND);
    FloatVector ln2Hi = FloatVector.broadcast(S, -LN2_HI);
    FloatVector ln2Lo = FloatVector.broadcast(S, -LN2_LO);
    FloatVector c7 = FloatVector.broadcast(S, TAYLOR[0]);
    FloatVector c6 = FloatVector.broadcast(S, TAYLOR[1]);
    FloatVector c5 = FloatVector.broadcast(S, TAYLOR[2]);
    FloatVector c4 = FloatVector.broadcast(S, TAYLOR[3]);
    FloatVector c3 = FloatVector.broadcast(S, TAYLOR[4]);
    FloatVector c2 = FloatVector.broadcast(S, TAYLOR[5]);
    FloatVector one = FloatVector.broadcast(S, 1f);
    for (int r = from; r < to; r++) {
      int base = r * vocab;
      float max = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < vocab; j++) {
        max = Math.max(max, logits[base + j]);
      }
      // Whole vectors: the last one reads into the next row (or the padding) and writes the
      // scratch row's padding.
      for (int j = 0; j < vocab; j += PADDING) {
        // exp(x) = 2^n e^r, n = round(x log2 e), r = x - n ln 2: see exp.
        FloatVector x = FloatVector.fromArray(S, logits, base + j).sub(max).max(floor);
        FloatVector t = x.fma(log2e, magic);
        FloatVector nf = t.sub(magic);
        FloatVector rr = nf.fma(ln2Lo, nf.fma(ln2Hi, x));
        FloatVector p = rr.fma(c7, c6).fma(rr, c5).fma(rr, c4).fma(rr, c3).fma(rr, c2);
        p = p.fma(rr, one).fma(rr, one);
        FloatVector twoN =
            t.reinterpretAsInts()
                .lanewise(VectorOperators.LSHL, 23)
                .add(EXPONENT_BIAS)
                .reinterpretAsFloats();
        p.mul(twoN).intoArray(row, j);
      }
      float sum = 0f;
      for (int j = 0; j < vocab; j++) {
        sum += row[j];
      }
      for (int j = 0; j < vocab; j++) {
        out[base + j] = row[j] / sum;
      }
      int at = base + labels[r];
      loss[r] = -Math.log(Math.max(out[at], clip));
      if (delta) {
        out[at] -= 1f;
      }
    }
  }

  /**
   * exp(x) for softmax inputs (x <= 0), the formula the kernel computes lane by lane, in the same
   * operations and order: x is raised to {@link #EXP_FLOOR}; t = fma(x, log2 e, 1.5 x 2^23) rounds
   * x log2 e to the nearest integer n = t - 1.5 x 2^23; r = x - n ln 2 in two fused multiply-adds;
   * e^r by Taylor's polynomial of degree 7 in Horner's scheme; times 2^n, whose bits come from t's.
   * Accurate to about 2 units in the last place.
   */
  static float exp(float x) {
    float y = Math.max(x, EXP_FLOOR);
    float t = Math.fma(y, LOG2E, ROUND);
    float nf = t - ROUND;
    float r = Math.fma(nf, -LN2_LO, Math.fma(nf, -LN2_HI, y));
    float p = Math.fma(r, TAYLOR[0], TAYLOR[1]);
    p = Math.fma(p, r, TAYLOR[2]);
    p = Math.fma(p, r, TAYLOR[3]);
    p = Math.fma(p, r, TAYLOR[4]);
    p = Math.fma(p, r, TAYLOR[5]);
    p = Math.fma(p, r, 1f);
    p = Math.fma(p, r, 1f);
    return p * Float.intBitsToFloat((Float.floatToRawIntBits(t) << 23) + EXPONENT_BIAS);
  }
}
