package io.charstream.model.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The per-step work of the LSTM recurrence in the Java Vector API (jdk.incubator.vector), with the
 * recurrent weights packed once per pass, so that no step packs them again (what OpenBLAS does on
 * every call, a quarter of its time at these sizes).
 *
 * <p>Only loaded when {@link FusedRuntime#vectorKernels()} says the module is there: every caller
 * checks first, so a JVM started without {@code --add-modules jdk.incubator.vector} never links
 * this class and runs the BLAS path instead.
 *
 * <p>Gate layout as DL4J's: columns [a | f | o | g] of H each. The dot products use fused
 * multiply-adds in ascending k, the same for every row, so a row's result does not depend on which
 * slice or block it falls in (nor on the thread count). The gate arithmetic stays in {@link
 * GateMath}'s plain loops: written here with vectors (tanh and sigmoid as lane-wise rational
 * functions) C2 did not inline it into one method and boxed every vector, ten times slower than the
 * loops it auto-vectorises.
 */
public final class LstmVectorKernels {

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  /** Lanes per vector: hidden units per block of the packed weights. */
  public static final int LANES = S.length();

  private LstmVectorKernels() {}

  /** Whether a layer of {@code hidden} units can use these kernels. */
  public static boolean supports(int hidden) {
    return LANES >= 8 && hidden % LANES == 0;
  }

  /**
   * Sums rows by id: {@code table[ids[idOffset + r]][0..width) += rows[r][0..width)} for r < {@code
   * count} in ascending order ({@code width} a multiple of {@link #LANES}).
   */
  public static void addRowsById(
      float[] rows, int[] ids, int idOffset, int count, float[] table, int width) {
    for (int r = 0; r < count; r++) {
      int src = r * width;
      int dst = ids[idOffset + r] * width;
      for (int j = 0; j < width; j += LANES) {
        FloatVector.fromArray(S, table, dst + j)
            .add(FloatVector.fromArray(S, rows, src + j))
            .intoArray(table, dst + j);
      }
    }
  }

  /**
   * Packs RW for {@link #forwardStep}: from RW^T [4H][H] (row-major, DL4J's column-major RW) to
   * blocks of LANES hidden units, [H / LANES][k < H][gate < 4][LANES].
   */
  public static void packRecurrent(float[] rwt, int hidden, float[] packed) {
    int blocks = hidden / LANES;
    int at = 0;
    for (int jb = 0; jb < blocks; jb++) {
      for (int k = 0; k < hidden; k++) {
        for (int gate = 0; gate < 4; gate++) {
          int col = gate * hidden + jb * LANES;
          for (int u = 0; u < LANES; u++) {
            packed[at++] = rwt[(col + u) * hidden + k];
          }
        }
      }
    }
  }

  /**
   * The recurrent projection of one step: z += hPrev RW for {@code rows} rows.
   *
   * @param z [rows][4H], the input projection x W of this step on entry, the gates' pre-activations
   *     (without bias) on exit
   * @param packed RW packed by {@link #packRecurrent}
   * @param hPrev [rows][H] from {@code hOffset}
   */
  public static void recurrentProjection(
      float[] z, float[] packed, float[] hPrev, int hOffset, int rows, int hidden) {
    int blocks = hidden / LANES;
    float[] h4 = interleave(hPrev, hOffset, rows / 4 * 4, hidden);
    for (int jb = 0; jb < blocks; jb++) {
      int r = 0;
      for (; r + 4 <= rows; r += 4) {
        forward4(z, packed, h4, r, jb, hidden);
      }
      for (; r < rows; r++) {
        forward1(z, packed, hPrev, hOffset, r, jb, hidden);
      }
    }
  }

  /**
   * hPrev's rows in groups of four, interleaved by k: row r's h[k] at (r / 4 * hidden + k) * 4 + r
   * % 4, so that forward4 reads a group's four values of each k at constant offsets from one index
   * (its bounds checked once per k, few registers live; read from four row offsets, the loop ran at
   * 0.65-1x this speed, depending on how C2 allocated its registers that run).
   */
  private static float[] interleave(float[] hPrev, int hOffset, int rows, int hidden) {
    Scratch scratch = SCRATCH.get();
    if (scratch.h4.length < rows * hidden) {
      scratch.h4 = new float[rows * hidden];
    }
    float[] h4 = scratch.h4;
    for (int r = 0; r < rows; r++) {
      int from = hOffset + r * hidden;
      int to = (r / 4 * hidden) * 4 + r % 4;
      for (int k = 0; k < hidden; k++) {
        h4[to + k * 4] = hPrev[from + k];
      }
    }
    return h4;
  }

  private static final class Scratch {
    float[] h4 = new float[0];
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /**
   * zin += hPrev RW for rows r..r+3 and the hidden units of block jb, all four gates, hPrev
   * interleaved by {@link #interleave}.
   */
  private static void forward4(float[] zin, float[] packed, float[] h4, int r, int jb, int hidden) {
    int gates = 4 * hidden;
    int j0 = jb * LANES;
    int z0 = r * gates + j0;
    int z1 = z0 + gates;
    int z2 = z1 + gates;
    int z3 = z2 + gates;
    FloatVector a0 = FloatVector.fromArray(S, zin, z0);
    FloatVector f0 = FloatVector.fromArray(S, zin, z0 + hidden);
    FloatVector o0 = FloatVector.fromArray(S, zin, z0 + 2 * hidden);
    FloatVector g0 = FloatVector.fromArray(S, zin, z0 + 3 * hidden);
    FloatVector a1 = FloatVector.fromArray(S, zin, z1);
    FloatVector f1 = FloatVector.fromArray(S, zin, z1 + hidden);
    FloatVector o1 = FloatVector.fromArray(S, zin, z1 + 2 * hidden);
    FloatVector g1 = FloatVector.fromArray(S, zin, z1 + 3 * hidden);
    FloatVector a2 = FloatVector.fromArray(S, zin, z2);
    FloatVector f2 = FloatVector.fromArray(S, zin, z2 + hidden);
    FloatVector o2 = FloatVector.fromArray(S, zin, z2 + 2 * hidden);
    FloatVector g2 = FloatVector.fromArray(S, zin, z2 + 3 * hidden);
    FloatVector a3 = FloatVector.fromArray(S, zin, z3);
    FloatVector f3 = FloatVector.fromArray(S, zin, z3 + hidden);
    FloatVector o3 = FloatVector.fromArray(S, zin, z3 + 2 * hidden);
    FloatVector g3 = FloatVector.fromArray(S, zin, z3 + 3 * hidden);
    {
      int h = r * hidden;
      int w = jb * hidden * 4 * LANES;
      for (int k = 0; k < hidden; k++, w += 4 * LANES, h += 4) {
        FloatVector wA = FloatVector.fromArray(S, packed, w);
        FloatVector wF = FloatVector.fromArray(S, packed, w + LANES);
        FloatVector wO = FloatVector.fromArray(S, packed, w + 2 * LANES);
        FloatVector wG = FloatVector.fromArray(S, packed, w + 3 * LANES);
        FloatVector x = FloatVector.broadcast(S, h4[h]);
        a0 = wA.fma(x, a0);
        f0 = wF.fma(x, f0);
        o0 = wO.fma(x, o0);
        g0 = wG.fma(x, g0);
        x = FloatVector.broadcast(S, h4[h + 1]);
        a1 = wA.fma(x, a1);
        f1 = wF.fma(x, f1);
        o1 = wO.fma(x, o1);
        g1 = wG.fma(x, g1);
        x = FloatVector.broadcast(S, h4[h + 2]);
        a2 = wA.fma(x, a2);
        f2 = wF.fma(x, f2);
        o2 = wO.fma(x, o2);
        g2 = wG.fma(x, g2);
        x = FloatVector.broadcast(S, h4[h + 3]);
        a3 = wA.fma(x, a3);
        f3 = wF.fma(x, f3);
        o3 = wO.fma(x, o3);
        g3 = wG.fma(x, g3);
      }
    }
    a0.intoArray(zin, z0);
    f0.intoArray(zin, z0 + hidden);
    o0.intoArray(zin, z0 + 2 * hidden);
    g0.intoArray(zin, z0 + 3 * hidden);
    a1.intoArray(zin, z1);
    f1.intoArray(zin, z1 + hidden);
    o1.intoArray(zin, z1 + 2 * hidden);
    g1.intoArray(zin, z1 + 3 * hidden);
    a2.intoArray(zin, z2);
    f2.intoArray(zin, z2 + hidden);
    o2.intoArray(zin, z2 + 2 * hidden);
    g2.intoArray(zin, z2 + 3 * hidden);
    a3.intoArray(zin, z3);
    f3.intoArray(zin, z3 + hidden);
    o3.intoArray(zin, z3 + 2 * hidden);
    g3.intoArray(zin, z3 + 3 * hidden);
  }

  /** As forward4 for one row: the same operations in the same order. */
  private static void forward1(
      float[] zin, float[] packed, float[] hPrev, int hOffset, int r, int jb, int hidden) {
    int j0 = jb * LANES;
    int z0 = r * 4 * hidden + j0;
    FloatVector a0 = FloatVector.fromArray(S, zin, z0);
    FloatVector f0 = FloatVector.fromArray(S, zin, z0 + hidden);
    FloatVector o0 = FloatVector.fromArray(S, zin, z0 + 2 * hidden);
    FloatVector g0 = FloatVector.fromArray(S, zin, z0 + 3 * hidden);
    {
      int h0 = hOffset + r * hidden;
      int w = jb * hidden * 4 * LANES;
      for (int k = 0; k < hidden; k++, w += 4 * LANES) {
        FloatVector x = FloatVector.broadcast(S, hPrev[h0 + k]);
        a0 = FloatVector.fromArray(S, packed, w).fma(x, a0);
        f0 = FloatVector.fromArray(S, packed, w + LANES).fma(x, f0);
        o0 = FloatVector.fromArray(S, packed, w + 2 * LANES).fma(x, o0);
        g0 = FloatVector.fromArray(S, packed, w + 3 * LANES).fma(x, g0);
      }
    }
    a0.intoArray(zin, z0);
    f0.intoArray(zin, z0 + hidden);
    o0.intoArray(zin, z0 + 2 * hidden);
    g0.intoArray(zin, z0 + 3 * hidden);
  }

  /**
   * The gradient reaching h through the recurrent weights, plus the gradient from above: dh = eps +
   * dz RW^T for {@code rows} rows.
   *
   * @param eps [rows][H]
   * @param dz [rows][4H], the next step's gate gradients
   * @param rwt RW^T [4H][H] row-major (DL4J's column-major RW)
   * @param dh [rows][H], written
   */
  public static void recurrentGradient(
      float[] eps, float[] dz, float[] rwt, int rows, int hidden, float[] dh) {
    int kb = 0;
    for (; kb + 4 * LANES <= hidden; kb += 4 * LANES) {
      int r = 0;
      for (; r + 4 <= rows; r += 4) {
        gradient4x4(eps, dz, rwt, r, kb, hidden, dh);
      }
      for (; r < rows; r++) {
        for (int v = 0; v < 4; v++) {
          gradient1x1(eps, dz, rwt, r, kb + v * LANES, hidden, dh);
        }
      }
    }
    for (; kb < hidden; kb += LANES) {
      for (int r = 0; r < rows; r++) {
        gradient1x1(eps, dz, rwt, r, kb, hidden, dh);
      }
    }
  }

  private static void gradient4x4(
      float[] eps, float[] dz, float[] rwt, int r, int kb, int hidden, float[] dh) {
    int gates = 4 * hidden;
    int e0 = r * hidden + kb;
    int e1 = e0 + hidden;
    int e2 = e1 + hidden;
    int e3 = e2 + hidden;
    FloatVector c00 = FloatVector.fromArray(S, eps, e0);
    FloatVector c01 = FloatVector.fromArray(S, eps, e0 + LANES);
    FloatVector c02 = FloatVector.fromArray(S, eps, e0 + 2 * LANES);
    FloatVector c03 = FloatVector.fromArray(S, eps, e0 + 3 * LANES);
    FloatVector c10 = FloatVector.fromArray(S, eps, e1);
    FloatVector c11 = FloatVector.fromArray(S, eps, e1 + LANES);
    FloatVector c12 = FloatVector.fromArray(S, eps, e1 + 2 * LANES);
    FloatVector c13 = FloatVector.fromArray(S, eps, e1 + 3 * LANES);
    FloatVector c20 = FloatVector.fromArray(S, eps, e2);
    FloatVector c21 = FloatVector.fromArray(S, eps, e2 + LANES);
    FloatVector c22 = FloatVector.fromArray(S, eps, e2 + 2 * LANES);
    FloatVector c23 = FloatVector.fromArray(S, eps, e2 + 3 * LANES);
    FloatVector c30 = FloatVector.fromArray(S, eps, e3);
    FloatVector c31 = FloatVector.fromArray(S, eps, e3 + LANES);
    FloatVector c32 = FloatVector.fromArray(S, eps, e3 + 2 * LANES);
    FloatVector c33 = FloatVector.fromArray(S, eps, e3 + 3 * LANES);
    int d0 = r * gates;
    int d1 = d0 + gates;
    int d2 = d1 + gates;
    int d3 = d2 + gates;
    int w = kb;
    for (int c = 0; c < gates; c++, w += hidden) {
      FloatVector w0 = FloatVector.fromArray(S, rwt, w);
      FloatVector w1 = FloatVector.fromArray(S, rwt, w + LANES);
      FloatVector w2 = FloatVector.fromArray(S, rwt, w + 2 * LANES);
      FloatVector w3 = FloatVector.fromArray(S, rwt, w + 3 * LANES);
      FloatVector x = FloatVector.broadcast(S, dz[d0 + c]);
      c00 = w0.fma(x, c00);
      c01 = w1.fma(x, c01);
      c02 = w2.fma(x, c02);
      c03 = w3.fma(x, c03);
      x = FloatVector.broadcast(S, dz[d1 + c]);
      c10 = w0.fma(x, c10);
      c11 = w1.fma(x, c11);
      c12 = w2.fma(x, c12);
      c13 = w3.fma(x, c13);
      x = FloatVector.broadcast(S, dz[d2 + c]);
      c20 = w0.fma(x, c20);
      c21 = w1.fma(x, c21);
      c22 = w2.fma(x, c22);
      c23 = w3.fma(x, c23);
      x = FloatVector.broadcast(S, dz[d3 + c]);
      c30 = w0.fma(x, c30);
      c31 = w1.fma(x, c31);
      c32 = w2.fma(x, c32);
      c33 = w3.fma(x, c33);
    }
    c00.intoArray(dh, e0);
    c01.intoArray(dh, e0 + LANES);
    c02.intoArray(dh, e0 + 2 * LANES);
    c03.intoArray(dh, e0 + 3 * LANES);
    c10.intoArray(dh, e1);
    c11.intoArray(dh, e1 + LANES);
    c12.intoArray(dh, e1 + 2 * LANES);
    c13.intoArray(dh, e1 + 3 * LANES);
    c20.intoArray(dh, e2);
    c21.intoArray(dh, e2 + LANES);
    c22.intoArray(dh, e2 + 2 * LANES);
    c23.intoArray(dh, e2 + 3 * LANES);
    c30.intoArray(dh, e3);
    c31.intoArray(dh, e3 + LANES);
    c32.intoArray(dh, e3 + 2 * LANES);
    c33.intoArray(dh, e3 + 3 * LANES);
  }

  /** One row, LANES columns: the same fused multiply-adds in the same order as gradient4x4. */
  private static void gradient1x1(
      float[] eps, float[] dz, float[] rwt, int r, int kb, int hidden, float[] dh) {
    int gates = 4 * hidden;
    int e0 = r * hidden + kb;
    FloatVector acc = FloatVector.fromArray(S, eps, e0);
    int d0 = r * gates;
    int w = kb;
    for (int c = 0; c < gates; c++, w += hidden) {
      acc = FloatVector.fromArray(S, rwt, w).fma(FloatVector.broadcast(S, dz[d0 + c]), acc);
    }
    acc.intoArray(dh, e0);
  }
}
