package io.charstream.model.kernel;

import java.util.SplittableRandom;

/**
 * acc[i] += x[i] W for a block of vectors x[i] with OpenBLAS: one GEMM per call of up to {@value
 * #MAX_ROWS} rows, the weights W [K, N] in native memory, the vectors staged through one JNI copy
 * each way.
 *
 * <p>Only usable where OpenBLAS computes a row the same way whatever the number of rows and the
 * row's position: {@link #isBatchInvariant} checks exactly that on this machine, for every row
 * count from 1 to {@value #MAX_ROWS} (measured: true with OpenBLAS's SkylakeX kernels, false with
 * its Haswell ones). Otherwise a stream's text would depend on what else is generated with it.
 */
public final class BlasRows {

  /** Rows per GEMM call; larger blocks are cut into calls of this size. */
  public static final int MAX_ROWS = 128;

  /**
   * W's columns are padded with zeros to a multiple of this: with 98 columns (the vocabulary)
   * OpenBLAS's SkylakeX kernels are not batch-invariant, with 96, 112 or 128 they are (measured).
   */
  public static final int COLUMN_MULTIPLE = 16;

  private final int k;
  private final int n;

  /** n rounded up to {@link #COLUMN_MULTIPLE}: the stride of W and C in native memory. */
  private final int padded;

  private final NativeBuffer weights;

  /**
   * Rows per GEMM call. OpenBLAS (0.3.x, SkylakeX kernels) multiplies products with m n k below
   * {@value #SMALL_PRODUCT} on its small-matrix kernel, straight from the operands, and larger ones
   * after packing W into panels, which costs as much as the arithmetic at these sizes. Measured
   * here, x [m, 256] times W [256, 512]: m = 4 rows per call run at 102 GFLOP/s, m = 6 at 94, m = 7
   * at 69 (odd m leaves a tail), m = 8 at 27-34, m = 32 at 64. So a block of rows is multiplied in
   * calls of the largest multiple of 4 rows under the bound (4 for K = 256, 12 for K = 128, N =
   * 512; 68 for the output layer). Correctness does not rest on it: {@link #isBatchInvariant}
   * checks the calls as they are made.
   */
  private final int rowsPerCall;

  /** OpenBLAS's bound on m n k for its small-matrix GEMM kernel (SkylakeX: 100^3). */
  public static final long SMALL_PRODUCT = 1_000_000;

  /** Per-thread staging: native A [MAX_ROWS, K] and C [MAX_ROWS, N], and their Java twins. */
  public static final class Staging {
    private final NativeBuffer a;
    private final NativeBuffer c;
    private final float[] aRows;
    private final float[] cRows;

    public Staging(int maxK, int maxN) {
      int paddedN = padded(maxN);
      a = new NativeBuffer((long) MAX_ROWS * maxK);
      c = new NativeBuffer((long) MAX_ROWS * paddedN);
      aRows = new float[MAX_ROWS * maxK];
      cRows = new float[MAX_ROWS * paddedN];
    }

    /** Staged input rows, [MAX_ROWS, K] with stride K (see {@link #accumulateStaged}). */
    public float[] input() {
      return aRows;
    }

    /** Staged accumulator rows, [MAX_ROWS, stride] (see {@link #accumulateStaged}). */
    public float[] output() {
      return cRows;
    }
  }

  /**
   * @param rows W as K rows of N
   */
  public BlasRows(float[][] rows, int k, int n) {
    this.k = k;
    this.n = n;
    this.padded = padded(n);
    int small = (int) Math.min(MAX_ROWS, (SMALL_PRODUCT - 1) / ((long) padded * k));
    this.rowsPerCall = small >= 4 ? small - small % 4 : Math.max(1, small);
    weights = new NativeBuffer((long) k * padded);
    float[] row = new float[padded];
    for (int r = 0; r < k; r++) {
      System.arraycopy(rows[r], 0, row, 0, n);
      weights.write((long) r * padded, row, padded);
    }
  }

  private static int padded(int n) {
    return (n + COLUMN_MULTIPLE - 1) / COLUMN_MULTIPLE * COLUMN_MULTIPLE;
  }

  /** acc[accFrom + i][0, N) += x[xFrom + i][0, K) W for i in [0, count). */
  public void accumulate(float[][] x, int xFrom, float[][] acc, int accFrom, int count, Staging s) {
    for (int from = 0; from < count; from += MAX_ROWS) {
      int rows = Math.min(MAX_ROWS, count - from);
      for (int i = 0; i < rows; i++) {
        System.arraycopy(x[xFrom + from + i], 0, s.aRows, i * k, k);
        System.arraycopy(acc[accFrom + from + i], 0, s.cRows, i * padded, n);
      }
      accumulateStaged(rows, s);
      for (int i = 0; i < rows; i++) {
        System.arraycopy(s.cRows, i * padded, acc[accFrom + from + i], 0, n);
      }
    }
  }

  /**
   * The same product on rows the caller staged itself, without the copies through float[][]: row i
   * of x at {@code s.input()[i * K]}, row i of acc at {@code s.output()[i * stride()]} (read and
   * written in place; columns from N to the stride are scratch), {@code rows <= MAX_ROWS}.
   */
  public void accumulateStaged(int rows, Staging s) {
    s.a.write(0, s.aRows, rows * k);
    s.c.write(0, s.cRows, rows * padded);
    for (int from = 0; from < rows; from += rowsPerCall) {
      int m = Math.min(rowsPerCall, rows - from);
      Blas.gemm(
          false,
          false,
          m,
          padded,
          k,
          s.a.at((long) from * k),
          k,
          weights.at(0),
          padded,
          1f,
          s.c.at((long) from * padded),
          padded);
    }
    s.c.read(0, s.cRows, rows * padded);
  }

  /** Rows per GEMM call: the most that stay on OpenBLAS's small-matrix path (see the field). */
  public int rowsPerCall() {
    return rowsPerCall;
  }

  /** The row stride of {@link Staging#output()} for this product: N rounded up. */
  public int stride() {
    return padded;
  }

  /**
   * Whether every row count from 1 to {@value #MAX_ROWS}, and every position of a row in a call,
   * gives the same bits as one call of {@value #MAX_ROWS} rows, on random inputs.
   */
  public boolean isBatchInvariant(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[][] x = new float[MAX_ROWS][k];
    float[][] init = new float[MAX_ROWS][n];
    for (int i = 0; i < MAX_ROWS; i++) {
      for (int j = 0; j < k; j++) {
        x[i][j] = (float) (random.nextDouble() * 2 - 1);
      }
      for (int j = 0; j < n; j++) {
        init[i][j] = (float) (random.nextDouble() * 2 - 1);
      }
    }
    Staging staging = new Staging(k, n);
    float[][] full = copy(init);
    accumulate(x, 0, full, 0, MAX_ROWS, staging);
    for (int rows = 1; rows < MAX_ROWS; rows++) {
      int first = MAX_ROWS - rows;
      float[][] part = copy(init);
      accumulate(x, first, part, first, rows, staging);
      for (int i = first; i < MAX_ROWS; i++) {
        for (int j = 0; j < n; j++) {
          if (Float.floatToRawIntBits(part[i][j]) != Float.floatToRawIntBits(full[i][j])) {
            return false;
          }
        }
      }
    }
    return true;
  }

  private static float[][] copy(float[][] rows) {
    float[][] out = new float[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      out[i] = rows[i].clone();
    }
    return out;
  }
}
