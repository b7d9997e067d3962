package io.charstream.model.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The matrix products of a generation step on the Java Vector API: C[i] += A[i] W for the few to
 * few dozen streams of a step, with W (a layer's weights, fixed for the model's life) packed once.
 *
 * <p>Every element of C is computed the same way whatever the number of rows: starting from its
 * value in C, one fused multiply-add per k in ascending k. A row's result depends only on that row
 * and W, never on the other rows of the call or on how many there are, so batched generation equals
 * one-at-a-time generation bit for bit by construction (no run-time check, unlike OpenBLAS's
 * kernels, {@link BlasRows#isBatchInvariant}), on any CPU and whatever OPENBLAS_CORETYPE says.
 *
 * <p>The register tile is {@value #GROUP} rows by four vectors of columns (sixteen accumulators,
 * four W loads and four broadcasts per k). A is staged in groups of {@value #GROUP} rows with the
 * group's values of each k together (see {@link #put}); a call with fewer rows than a whole group
 * computes the group's unused rows too and drops them. W is packed in column blocks of {@link
 * #BLOCK} with its columns padded with zeros to whole blocks; C's rows are {@link #stride()} wide.
 *
 * <p>Only loaded when {@link FusedRuntime#vectorKernels()} says the module is there.
 */
public final class StepGemm {

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  private static final int LANES = S.length();

  /** Rows per register tile, and the row granularity of A and C. */
  public static final int GROUP = 4;

  /** Columns per register tile and per packed block of W: four vectors. */
  public static final int BLOCK = 4 * LANES;

  /**
   * Depth per pass over a block of W: a [128][BLOCK] slice of W (32 KB with 512-bit vectors) stays
   * in L1 while every row group passes over it. C holds the sum between passes (stored and loaded
   * exactly), so each element still takes one fused multiply-add per k in ascending k.
   */
  private static final int DEPTH_BLOCK = 128;

  private final int depth;
  private final int columns;
  private final int stride;

  /** W's column blocks one after another, each [depth][BLOCK]. */
  private final float[] packed;

  /** W = {@code rows[0, depth)}, each with at least {@code columns} columns. */
  public StepGemm(float[][] rows, int depth, int columns) {
    if (depth < 1 || columns < 1 || rows.length < depth) {
      throw new IllegalArgumentException(
          "need depth >= 1 rows of >= 1 columns, got " + rows.length + " rows, depth " + depth);
    }
    this.depth = depth;
    this.columns = columns;
    this.stride = (columns + BLOCK - 1) / BLOCK * BLOCK;
    packed = new float[stride * depth];
    for (int jb = 0; jb < stride; jb += BLOCK) {
      int width = Math.min(BLOCK, columns - jb);
      for (int p = 0; p < depth; p++) {
        System.arraycopy(rows[p], jb, packed, jb * depth + p * BLOCK, width);
      }
    }
  }

  /** Whether this JVM's vectors are wide enough for the kernel to pay (8 floats or more). */
  public static boolean supported() {
    return LANES >= 8;
  }

  /** C's row length: {@code columns} rounded up to whole blocks. */
  public int stride() {
    return stride;
  }

  public int depth() {
    return depth;
  }

  public int columns() {
    return columns;
  }

  /** Floats of A for {@code rows} rows: whole groups of depth values each. */
  public int aSize(int rows) {
    return groups(rows) * GROUP * depth;
  }

  /** Floats of C for {@code rows} rows: whole groups of {@link #stride()} each. */
  public int cSize(int rows) {
    return groups(rows) * GROUP * stride;
  }

  private static int groups(int rows) {
    return (rows + GROUP - 1) / GROUP;
  }

  /**
   * Stages {@code src[from, from + length)} as A(row, k0 .. k0 + length) in {@code a}: element
   * (row, k) sits at (row / GROUP) * GROUP * depth + k * GROUP + row % GROUP.
   */
  public void put(float[] a, int row, int k0, float[] src, int from, int length) {
    int at = (row / GROUP) * GROUP * depth + k0 * GROUP + row % GROUP;
    for (int p = 0; p < length; p++) {
      a[at + p * GROUP] = src[from + p];
    }
  }

  /**
   * C[i][j] += sum over k of A(i, k) W[k][j] for i < rows, j < stride, with C[i][j] at c[i * stride
   * + j]. One row runs alone ({@link #row}); more run in whole groups, the rows after {@code rows}
   * in the last group set to zero in A and C first.
   */
  public void accumulate(float[] a, float[] c, int rows) {
    if (rows == 1) {
      for (int jb = 0; jb < stride; jb += BLOCK) {
        for (int k0 = 0; k0 < depth; k0 += DEPTH_BLOCK) {
          int kn = Math.min(DEPTH_BLOCK, depth - k0);
          row(a, k0 * GROUP, packed, jb * depth + k0 * BLOCK, kn, c, jb);
        }
      }
      return;
    }
    int groups = groups(rows);
    int groupA = GROUP * depth;
    // The last group's unused rows: zeros, so that stale values never turn into infinities or
    // subnormals there (slow on some CPUs).
    for (int r = rows; r < groups * GROUP; r++) {
      Arrays.fill(c, r * stride, (r + 1) * stride, 0f);
      int at = (groups - 1) * groupA + r % GROUP;
      for (int p = 0; p < depth; p++) {
        a[at + p * GROUP] = 0f;
      }
    }
    for (int jb = 0; jb < stride; jb += BLOCK) {
      for (int k0 = 0; k0 < depth; k0 += DEPTH_BLOCK) {
        int w0 = jb * depth + k0 * BLOCK;
        int kn = Math.min(DEPTH_BLOCK, depth - k0);
        for (int g = 0; g < groups; g++) {
          tile(a, g * groupA + k0 * GROUP, packed, w0, kn, c, g * GROUP * stride + jb, stride);
        }
      }
    }
  }

  /**
   * One row by four vectors, the same operations as row 0 of {@link #tile}: a lone stream's step
   * reads W once without computing three unused rows.
   */
  private static void row(float[] a, int a0, float[] w, int w0, int depth, float[] c, int c0) {
    FloatVector s0 = FloatVector.fromArray(S, c, c0);
    FloatVector s1 = FloatVector.fromArray(S, c, c0 + LANES);
    FloatVector s2 = FloatVector.fromArray(S, c, c0 + 2 * LANES);
    FloatVector s3 = FloatVector.fromArray(S, c, c0 + 3 * LANES);
    for (int p = 0; p < depth; p++) {
      int wo = w0 + p * BLOCK;
      FloatVector x = FloatVector.broadcast(S, a[a0 + p * GROUP]);
      s0 = FloatVector.fromArray(S, w, wo).fma(x, s0);
      s1 = FloatVector.fromArray(S, w, wo + LANES).fma(x, s1);
      s2 = FloatVector.fromArray(S, w, wo + 2 * LANES).fma(x, s2);
      s3 = FloatVector.fromArray(S, w, wo + 3 * LANES).fma(x, s3);
    }
    s0.intoArray(c, c0);
    s1.intoArray(c, c0 + LANES);
    s2.intoArray(c, c0 + 2 * LANES);
    s3.intoArray(c, c0 + 3 * LANES);
  }

  /**
   * Four rows by four vectors: C[c0 + r * ldc + (0..BLOCK)] += sum_p a[a0 + p * GROUP + r] w[w0 + p
   * * BLOCK + (0..BLOCK)].
   */
  private static void tile(
      float[] a, int a0, float[] w, int w0, int depth, float[] c, int c0, int ldc) {
    int c1 = c0 + ldc;
    int c2 = c1 + ldc;
    int c3 = c2 + ldc;
    FloatVector s00 = FloatVector.fromArray(S, c, c0);
    FloatVector s01 = FloatVector.fromArray(S, c, c0 + LANES);
    FloatVector s02 = FloatVector.fromArray(S, c, c0 + 2 * LANES);
    FloatVector s03 = FloatVector.fromArray(S, c, c0 + 3 * LANES);
    FloatVector s10 = FloatVector.fromArray(S, c, c1);
    FloatVector s11 = FloatVector.fromArray(S, c, c1 + LANES);
    FloatVector s12 = FloatVector.fromArray(S, c, c1 + 2 * LANES);
    FloatVector s13 = FloatVector.fromArray(S, c, c1 + 3 * LANES);
    FloatVector s20 = FloatVector.fromArray(S, c, c2);
    FloatVector s21 = FloatVector.fromArray(S, c, c2 + LANES);
    FloatVector s22 = FloatVector.fromArray(S, c, c2 + 2 * LANES);
    FloatVector s23 = FloatVector.fromArray(S, c, c2 + 3 * LANES);
    FloatVector s30 = FloatVector.fromArray(S, c, c3);
    FloatVector s31 = FloatVector.fromArray(S, c, c3 + LANES);
    FloatVector s32 = FloatVector.fromArray(S, c, c3 + 2 * LANES);
    FloatVector s33 = FloatVector.fromArray(S, c, c3 + 3 * LANES);
    for (int p = 0; p < depth; p++) {
      int wo = w0 + p * BLOCK;
      int ao = a0 + p * GROUP;
      FloatVector b0 = FloatVector.fromArray(S, w, wo);
      FloatVector b1 = FloatVector.fromArray(S, w, wo + LANES);
      FloatVector b2 = FloatVector.fromArray(S, w, wo + 2 * LANES);
      FloatVector b3 = FloatVector.fromArray(S, w, wo + 3 * LANES);
      FloatVector x = FloatVector.broadcast(S, a[ao]);
      s00 = b0.fma(x, s00);
      s01 = b1.fma(x, s01);
      s02 = b2.fma(x, s02);
      s03 = b3.fma(x, s03);
      x = FloatVector.broadcast(S, a[ao + 1]);
      s10 = b0.fma(x, s10);
      s11 = b1.fma(x, s11);
      s12 = b2.fma(x, s12);
      s13 = b3.fma(x, s13);
      x = FloatVector.broadcast(S, a[ao + 2]);
      s20 = b0.fma(x, s20);
      s21 = b1.fma(x, s21);
      s22 = b2.fma(x, s22);
      s23 = b3.fma(x, s23);
      x = FloatVector.broadcast(S, a[ao + 3]);
      s30 = b0.fma(x, s30);
      s31 = b1.fma(x, s31);
      s32 = b2.fma(x, s32);
      s33 = b3.fma(x, s33);
    }
    s00.intoArray(c, c0);
    s01.intoArray(c, c0 + LANES);
    s02.intoArray(c, c0 + 2 * LANES);
    s03.intoArray(c, c0 + 3 * LANES);
    s10.intoArray(c, c1);
    s11.intoArray(c, c1 + LANES);
    s12.intoArray(c, c1 + 2 * LANES);
    s13.intoArray(c, c1 + 3 * LANES);
    s20.intoArray(c, c2);
    s21.intoArray(c, c2 + LANES);
    s22.intoArray(c, c2 + 2 * LANES);
    s23.intoArray(c, c2 + 3 * LANES);
    s30.intoArray(c, c3);
    s31.intoArray(c, c3 + LANES);
    s32.intoArray(c, c3 + 2 * LANES);
    s33.intoArray(c, c3 + 3 * LANES);
  }
}
