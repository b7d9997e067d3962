package io.charstream.model.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The LSTM cell of one generation row in one pass of the Java Vector API: from the row's gate
 * pre-activations (DL4J's order [a | f | o | g], H each, as {@link StepGemm} leaves them) and its
 * cell state, the new cell state (in place) and output. The same operations in the same order as
 * {@link GateMath}'s loops (its rational tanh and sigmoid, clamped alike; no fused multiply-add),
 * so the values are {@link GateMath}'s bit for bit; what it saves is the gathering of each gate
 * into its own array and six more passes over them.
 *
 * <p>One method with every formula written out: C2 compiles vector arithmetic into registers only
 * when it inlines all of it, and a tanh or sigmoid of vectors as a method of its own was left as a
 * call that boxed every vector ({@link LstmVectorKernels}' note). Only loaded where {@link
 * FusedRuntime#vectorKernels()} allows.
 */
public final class CellVector {

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = S.length();

  // GateMath's clamps and Padé coefficients.
  private static final float T_CLAMP = GateMath.TANH_CLAMP;
  private static final float S_CLAMP = GateMath.SIGMOID_CLAMP;
  private static final float P0 = GateMath.P0;
  private static final float P1 = GateMath.P1;
  private static final float P2 = GateMath.P2;
  private static final float Q1 = GateMath.Q1;
  private static final float Q2 = GateMath.Q2;
  private static final float Q3 = GateMath.Q3;

  private CellVector() {}

  /** Whether rows of {@code hidden} units fit whole vectors. */
  public static boolean supports(int hidden) {
    return LANES >= 8 && hidden % LANES == 0;
  }

  /**
   * c = f c + g a and h = o tanh(c) for one row: a = tanh(z_a), f, o, g = sigmoid of theirs, with
   * z_x at {@code z[off + x H + j]}; {@code c} is read and overwritten, {@code h} written.
   */
  public static void row(float[] z, int off, int hidden, float[] c, float[] h) {
    for (int j = 0; j < hidden; j += LANES) {
      // a = tanh(z_a): y = x/2 clamped, tanh = 2y P Q / (Q² + y² P²)
      FloatVector y = FloatVector.fromArray(S, z, off + j).min(T_CLAMP).max(-T_CLAMP).mul(0.5f);
      FloatVector u = y.mul(y);
      FloatVector p = u.mul(u.add(P2).mul(u).add(P1)).add(P0);
      FloatVector q = u.mul(u.mul(u.mul(Q3).add(Q2)).add(Q1)).add(P0);
      FloatVector a = y.mul(2f).mul(p).mul(q).div(q.mul(q).add(u.mul(p).mul(p)));
      // f, o, g = sigmoid(z) = 0.5 + y P Q / (Q² + y² P²) with y = x/4 clamped
      y = FloatVector.fromArray(S, z, off + hidden + j).min(S_CLAMP).max(-S_CLAMP).mul(0.25f);
      u = y.mul(y);
      p = u.mul(u.add(P2).mul(u).add(P1)).add(P0);
      q = u.mul(u.mul(u.mul(Q3).add(Q2)).add(Q1)).add(P0);
      FloatVector f = y.mul(p).mul(q).div(q.mul(q).add(u.mul(p).mul(p))).add(0.5f);
      y = FloatVector.fromArray(S, z, off + 2 * hidden + j).min(S_CLAMP).max(-S_CLAMP).mul(0.25f);
      u = y.mul(y);
      p = u.mul(u.add(P2).mul(u).add(P1)).add(P0);
      q = u.mul(u.mul(u.mul(Q3).add(Q2)).add(Q1)).add(P0);
      FloatVector o = y.mul(p).mul(q).div(q.mul(q).add(u.mul(p).mul(p))).add(0.5f);
      y = FloatVector.fromArray(S, z, off + 3 * hidden + j).min(S_CLAMP).max(-S_CLAMP).mul(0.25f);
      u = y.mul(y);
      p = u.mul(u.add(P2).mul(u).add(P1)).add(P0);
      q = u.mul(u.mul(u.mul(Q3).add(Q2)).add(Q1)).add(P0);
      FloatVector g = y.mul(p).mul(q).div(q.mul(q).add(u.mul(p).mul(p))).add(0.5f);
      // c = f c + g a; h = o tanh(c)
      FloatVector cNew = f.mul(FloatVector.fromArray(S, c, j)).add(g.mul(a));
      cNew.intoArray(c, j);
      y = cNew.min(T_CLAMP).max(-T_CLAMP).mul(0.5f);
      u = y.mul(y);
      p = u.mul(u.add(P2).mul(u).add(P1)).add(P0);
      q = u.mul(u.mul(u.mul(Q3).add(Q2)).add(Q1)).add(P0);
      o.mul(y.mul(2f).mul(p).mul(q).div(q.mul(q).add(u.mul(p).mul(p)))).intoArray(h, j);
    }
  }
}
