package io.charstream.model.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link AdamKernels#update} on the Java Vector API (jdk.incubator.vector), straight on DL4J's
 * native arrays: lane-wise the same float32 operations in the same order (fused multiply-adds where
 * the twin has them), so the results are the same bit for bit.
 *
 * <p>Only loaded when {@link FusedRuntime#vectorKernels()} says the module is there: the caller
 * checks first.
 */
public final class AdamVectorKernels {

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  /** Doubles in a vector of S's size: each float vector converts into two of them. */
  private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

  private static final ByteOrder ORDER = ByteOrder.nativeOrder();

  private AdamVectorKernels() {}

  /**
   * {@link AdamKernels#sumOfSquares} on vectors: the squares summed in double precision lane by
   * lane, the lanes added in index order (the result depends on the range and the vector width
   * only, not on timing or compilation).
   */
  public static double sumOfSquares(ByteBuffer g, int from, int to, FloatBuffer gradFloats) {
    if (D.length() * 2 != S.length()) {
      return AdamKernels.sumOfSquares(gradFloats, from, to);
    }
    DoubleVector even = DoubleVector.zero(D);
    DoubleVector odd = DoubleVector.zero(D);
    int lanes = S.length();
    int i = from;
    for (; i + lanes <= to; i += lanes) {
      FloatVector x = FloatVector.fromByteBuffer(S, g, 4 * i, ORDER);
      DoubleVector lo = (DoubleVector) x.convertShape(VectorOperators.F2D, D, 0);
      DoubleVector hi = (DoubleVector) x.convertShape(VectorOperators.F2D, D, 1);
      even = lo.fma(lo, even);
      odd = hi.fma(hi, odd);
    }
    double[] sums = even.add(odd).toArray();
    double s = 0;
    for (double lane : sums) {
      s += lane;
    }
    return s + AdamKernels.sumOfSquares(gradFloats, i, to);
  }

  /**
   * Adam for parameters [from, to); the buffers are the byte views of those {@link
   * AdamKernels#update} takes (native byte order), with the float views for the tail.
   */
  public static void update(
      AdamKernels.Step s,
      ByteBuffer grad,
      ByteBuffer params,
      int from,
      int to,
      ByteBuffer state,
      int mAt,
      int vAt,
      FloatBuffer gradFloats,
      FloatBuffer paramFloats,
      FloatBuffer stateFloats) {
    FloatVector b1 = FloatVector.broadcast(S, s.beta1());
    FloatVector b2 = FloatVector.broadcast(S, s.beta2());
    FloatVector o1 = FloatVector.broadcast(S, s.oneMinusBeta1());
    FloatVector o2 = FloatVector.broadcast(S, s.oneMinusBeta2());
    FloatVector alpha = FloatVector.broadcast(S, s.alpha());
    FloatVector eps = FloatVector.broadcast(S, s.epsilon());
    FloatVector clip = FloatVector.broadcast(S, s.clip());
    FloatVector divisor = FloatVector.broadcast(S, s.divisor());
    FloatVector inverse = FloatVector.broadcast(S, s.reciprocal());
    boolean reciprocal = s.reciprocal() != 0f;
    FloatVector rate = FloatVector.broadcast(S, s.rateScale());
    boolean clipped = s.clip() != 1f;
    boolean scaled = s.rateScale() != 1f;
    int lanes = S.length();
    int i = from;
    for (; i + lanes <= to; i += lanes) {
      int k = i - from;
      FloatVector g = FloatVector.fromByteBuffer(S, grad, 4 * i, ORDER);
      if (clipped) {
        g = g.mul(clip);
      }
      g = reciprocal ? g.mul(inverse) : g.div(divisor);
      FloatVector m = FloatVector.fromByteBuffer(S, state, 4 * (mAt + k), ORDER);
      FloatVector v = FloatVector.fromByteBuffer(S, state, 4 * (vAt + k), ORDER);
      m = m.fma(b1, g.mul(o1));
      v = v.fma(b2, g.mul(g).mul(o2));
      m.intoByteBuffer(state, 4 * (mAt + k), ORDER);
      v.intoByteBuffer(state, 4 * (vAt + k), ORDER);
      FloatVector u = m.mul(alpha).div(v.sqrt().add(eps));
      if (scaled) {
        u = u.mul(rate);
      }
      FloatVector p = FloatVector.fromByteBuffer(S, params, 4 * i, ORDER);
      p.sub(u).intoByteBuffer(params, 4 * i, ORDER);
    }
    if (i < to) {
      AdamKernels.update(
          s, gradFloats, paramFloats, i, to, stateFloats, mAt + i - from, vAt + i - from);
    }
  }
}
