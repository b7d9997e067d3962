package io.charstream.model.kernel;

/**
 * The element-wise arithmetic of an LSTM cell, written so that HotSpot's C2 compiler turns each
 * loop into AVX/AVX-512 vector code.
 *
 * <p>Why the code looks like this: C2 (Java 17) vectorises a counted loop only when its body is
 * small enough to be unrolled and every array is indexed by the same expression; loops that index
 * arrays at different offsets ({@code a[i + p] = b[i + q]}) or that call {@code Math.tanh} (a
 * scalar library call, about 40 ns here) stay scalar and run 10-100x slower. So every method is one
 * short loop over whole arrays indexed by {@code [j]}, and the callers keep one array per gate.
 *
 * <p>{@code tanh} is a rational function, not a library call: the [7/6] Padé approximant of tanh
 * (Lambert's continued fraction x/(1+x²/(3+x²/(5+x²/(7+...)))) truncated after 13) evaluated at x/2
 * and combined with the doubling identity tanh(2y) = 2t/(1+t²), which folds into a single division:
 * tanh(2y) = 2yPQ / (Q² + y²P²) with t = yP/Q. The input is clamped to [-8, 8] (where tanh is 1 to
 * within 2.3e-7). Measured in float arithmetic over [-20, 20]: maximum absolute error 2.5e-7
 * (float's own tanh: 6e-8). Sigmoid is 0.5 + 0.5 tanh(x/2).
 */
public final class GateMath {

  /** tanh(x) is taken as ±1 beyond this bound; the approximation is tuned for it. */
  public static final float TANH_CLAMP = 8f;

  static final float SIGMOID_CLAMP = 2f * TANH_CLAMP;

  // Padé [7/6] of tanh(y) = y P(y²) / Q(y²), from the continued fraction's 7th convergent (also
  // CellVector's).
  static final float P0 = 135135f;
  static final float P1 = 17325f;
  static final float P2 = 378f;
  static final float Q1 = 62370f;
  static final float Q2 = 3150f;
  static final float Q3 = 28f;

  private GateMath() {}

  /** tanh of one value: the scalar twin of the array loops (same operations, same rounding). */
  public static float tanh(float x) {
    float y = 0.5f * Math.max(-TANH_CLAMP, Math.min(TANH_CLAMP, x));
    float u = y * y;
    float p = P0 + u * (P1 + u * (P2 + u));
    float q = P0 + u * (Q1 + u * (Q2 + u * Q3));
    return 2f * y * p * q / (q * q + u * p * p);
  }

  /** The logistic sigmoid of one value: 0.5 + 0.5 tanh(x / 2). */
  public static float sigmoid(float x) {
    float y = 0.25f * Math.max(-SIGMOID_CLAMP, Math.min(SIGMOID_CLAMP, x));
    float u = y * y;
    float p = P0 + u * (P1 + u * (P2 + u));
    float q = P0 + u * (Q1 + u * (Q2 + u * Q3));
    return 0.5f + y * p * q / (q * q + u * p * p);
  }

  /** out[j] = tanh(z[j] + bias[j]) for j < n. */
  public static void tanh(float[] z, float[] bias, float[] out, int n) {
    for (int j = 0; j < n; j++) {
      float y = 0.5f * Math.max(-TANH_CLAMP, Math.min(TANH_CLAMP, z[j] + bias[j]));
      float u = y * y;
      float p = P0 + u * (P1 + u * (P2 + u));
      float q = P0 + u * (Q1 + u * (Q2 + u * Q3));
      out[j] = 2f * y * p * q / (q * q + u * p * p);
    }
  }

  /** out[j] = tanh(x[j]) for j < n. */
  public static void tanh(float[] x, float[] out, int n) {
    for (int j = 0; j < n; j++) {
      float y = 0.5f * Math.max(-TANH_CLAMP, Math.min(TANH_CLAMP, x[j]));
      float u = y * y;
      float p = P0 + u * (P1 + u * (P2 + u));
      float q = P0 + u * (Q1 + u * (Q2 + u * Q3));
      out[j] = 2f * y * p * q / (q * q + u * p * p);
    }
  }

  /** out[j] = sigmoid(z[j] + bias[j]) for j < n. */
  public static void sigmoid(float[] z, float[] bias, float[] out, int n) {
    for (int j = 0; j < n; j++) {
      float y = 0.25f * Math.max(-SIGMOID_CLAMP, Math.min(SIGMOID_CLAMP, z[j] + bias[j]));
      float u = y * y;
      float p = P0 + u * (P1 + u * (P2 + u));
      float q = P0 + u * (Q1 + u * (Q2 + u * Q3));
      out[j] = 0.5f + y * p * q / (q * q + u * p * p);
    }
  }

  /** The new cell state: c[j] = f[j] cPrev[j] + g[j] a[j] (forget, input gate, block input). */
  public static void cell(float[] f, float[] cPrev, float[] g, float[] a, float[] c, int n) {
    for (int j = 0; j < n; j++) {
      c[j] = f[j] * cPrev[j] + g[j] * a[j];
    }
  }

  /** out[j] = x[j] * y[j]. */
  public static void mul(float[] x, float[] y, float[] out, int n) {
    for (int j = 0; j < n; j++) {
      out[j] = x[j] * y[j];
    }
  }

  /** out[j] = x[j] + y[j]. */
  public static void add(float[] x, float[] y, float[] out, int n) {
    for (int j = 0; j < n; j++) {
      out[j] = x[j] + y[j];
    }
  }

  // ---- backward: d* are gradients of the loss; a, f, o, g, tc are the stored forward values ----

  /** Output gate pre-activation: dO = dh tanh(c) o (1 - o). */
  public static void outputGateGrad(float[] dh, float[] tc, float[] o, float[] dO, int n) {
    for (int j = 0; j < n; j++) {
      dO[j] = dh[j] * tc[j] * o[j] * (1f - o[j]);
    }
  }

  /**
   * Cell state: dc = dh o (1 - tanh(c)²) + carry, where carry is the next step's dc times its
   * forget gate (zero at the last step). Overwrites {@code carry} with nothing; the caller updates
   * it.
   */
  public static void cellGrad(float[] dh, float[] o, float[] tc, float[] carry, float[] dc, int n) {
    for (int j = 0; j < n; j++) {
      dc[j] = dh[j] * o[j] * (1f - tc[j] * tc[j]) + carry[j];
    }
  }

  /** Sigmoid gate pre-activation whose output multiplied {@code other}: d = dc other s (1 - s). */
  public static void sigmoidGateGrad(float[] dc, float[] other, float[] s, float[] d, int n) {
    for (int j = 0; j < n; j++) {
      d[j] = dc[j] * other[j] * s[j] * (1f - s[j]);
    }
  }

  /** Block input (tanh) pre-activation: dA = dc g (1 - a²). */
  public static void blockInputGrad(float[] dc, float[] g, float[] a, float[] dA, int n) {
    for (int j = 0; j < n; j++) {
      dA[j] = dc[j] * g[j] * (1f - a[j] * a[j]);
    }
  }

  /** acc[j] += x[j]. */
  public static void accumulate(float[] x, float[] acc, int n) {
    for (int j = 0; j < n; j++) {
      acc[j] += x[j];
    }
  }
}
