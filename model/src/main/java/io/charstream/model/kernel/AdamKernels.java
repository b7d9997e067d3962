package io.charstream.model.kernel;

import java.nio.FloatBuffer;

/**
 * Adam with DL4J's arithmetic, on flat float32 buffers in place (DL4J's own arrays, read and
 * written where they are): the scalars of a step ({@link Step}), the squared norm of a gradient,
 * and the update of one range of parameters in plain Java. {@link AdamVectorKernels} is the same
 * update on the Java Vector API, with the same results bit for bit; this is its twin and the path
 * without the incubating module.
 *
 * <p>The update follows libnd4j's adam_updater as nd4j-native's avx2 and avx512 builds compile it
 * (its compiler contracts a * b + c into fused multiply-adds there; checked bit for bit against
 * DL4J in FusedAdamTest): m = fma(beta1, m, g (1 - beta1)), v = fma(beta2, v, g g (1 - beta2)),
 * update = m alpha_t / (sqrt(v) + epsilon) with alpha_t = lr sqrt(1 - beta2^t) / (1 - beta1^t),
 * epsilon added to sqrt(v) before the bias correction. Before it, in DL4J's order, the gradient is
 * scaled by the clip factor and divided by the "minibatch" size; after it, scaled by the rate scale
 * and subtracted from the parameters. Every product and quotient is rounded to float32 as DL4J
 * rounds it.
 */
public final class AdamKernels {

  private AdamKernels() {}

  /**
   * One Adam step's scalars for one DL4J updater block, rounded to float32 as libnd4j rounds them.
   *
   * @param clip the global-norm clip factor (1: not clipped)
   * @param divisor DL4J's "minibatch" size the gradient is divided by (1: not divided)
   * @param reciprocal 1 / divisor where multiplying by it is dividing by divisor to the bit, else 0
   * @param rateScale multiplies the update (1: the configured rate)
   */
  public record Step(
      float beta1,
      float beta2,
      float oneMinusBeta1,
      float oneMinusBeta2,
      float alpha,
      float epsilon,
      float clip,
      float divisor,
      float reciprocal,
      float rateScale) {

    /**
     * The scalars of step {@code iteration} (0 for the first): alpha_t as libnd4j computes it (in
     * float32, apart from two subtractions and the division it does in double), or epsilon where
     * that is not finite or zero, as libnd4j falls back.
     */
    public static Step of(
        double learningRate,
        double beta1,
        double beta2,
        double epsilon,
        int iteration,
        double clip,
        int divisor,
        double rateScale) {
      float lr = (float) learningRate;
      float b1 = (float) beta1;
      float b2 = (float) beta2;
      float eps = (float) epsilon;
      float t = (float) iteration + 1f;
      float b1t = (float) Math.pow(b1, t);
      float b2t = (float) Math.pow(b2, t);
      float sqrt = (float) Math.sqrt((float) (1.0 - b2t));
      float alpha = (float) ((double) (lr * sqrt) / (1.0 - b1t));
      if (Float.isNaN(alpha) || alpha == 0f || Float.isInfinite(alpha)) {
        alpha = eps;
      }
      return new Step(
          b1,
          b2,
          1f - b1,
          1f - b2,
          alpha,
          eps,
          (float) clip,
          (float) divisor,
          exactReciprocal(divisor),
          (float) rateScale);
    }

    /**
     * 1 / divisor where dividing by divisor and multiplying by it are the same to the bit (a power
     * of two: both are the exact quotient, correctly rounded), else 0 (divide).
     */
    private static float exactReciprocal(int divisor) {
      return divisor > 0 && Integer.bitCount(divisor) == 1 ? 1f / divisor : 0f;
    }
  }

  /**
   * The sum of squares of g[from, to) in double precision: four interleaved accumulators added in a
   * fixed order, so the result depends only on the range.
   */
  public static double sumOfSquares(FloatBuffer g, int from, int to) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = from;
    for (; i + 4 <= to; i += 4) {
      double a = g.get(i);
      double b = g.get(i + 1);
      double c = g.get(i + 2);
      double d = g.get(i + 3);
      s0 += a * a;
      s1 += b * b;
      s2 += c * c;
      s3 += d * d;
    }
    for (; i < to; i++) {
      double a = g.get(i);
      s0 += a * a;
    }
    return (s0 + s1) + (s2 + s3);
  }

  /**
   * The sum of squares of g[0, n) exactly as DL4J's norm2 sums them on one thread: one float32
   * fused multiply-add chain in index order (checked bit for bit in FusedAdamTest). Serial, so slow
   * next to {@link #sumOfSquares}: for when the exact value matters.
   */
  public static float serialSumOfSquares(FloatBuffer g, int n) {
    float s = 0f;
    for (int i = 0; i < n; i++) {
      float x = g.get(i);
      s = Math.fma(x, x, s);
    }
    return s;
  }

  /**
   * Adam for parameters [from, to): reads the gradient, writes m, v and the parameters.
   *
   * @param grad the flat raw gradient, indexed like {@code params}
   * @param params the flat parameters
   * @param state DL4J's Adam state view; m of parameter i at {@code mAt + i - from}, v at {@code
   *     vAt + i - from}
   */
  public static void update(
      Step s,
      FloatBuffer grad,
      FloatBuffer params,
      int from,
      int to,
      FloatBuffer state,
      int mAt,
      int vAt) {
    for (int i = from; i < to; i++) {
      int k = i - from;
      float m = state.get(mAt + k);
      float v = state.get(vAt + k);
      float u = element(s, grad.get(i), m, v, state, mAt + k, vAt + k);
      params.put(i, params.get(i) - u);
    }
  }

  /** One parameter's step: stores m and v, returns the update to subtract. */
  static float element(
      Step s, float g, float m, float v, FloatBuffer state, int mIndex, int vIndex) {
    if (s.clip != 1f) {
      g = g * s.clip;
    }
    g = s.reciprocal != 0f ? g * s.reciprocal : g / s.divisor;
    m = Math.fma(s.beta1, m, g * s.oneMinusBeta1);
    v = Math.fma(s.beta2, v, g * g * s.oneMinusBeta2);
    state.put(mIndex, m);
    state.put(vIndex, v);
    float u = (m * s.alpha) / ((float) Math.sqrt(v) + s.epsilon);
    if (s.rateScale != 1f) {
      u = u * s.rateScale;
    }
    return u;
  }
}
