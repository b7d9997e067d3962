package io.charstream.model.kernel;

import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix multiplies on Java arrays in the Java Vector API, for the fused LSTM's large per-pass
 * GEMMs (input projection, weight and input gradients), without packing either operand.
 *
 * <p>C[i][j] = sum over k of A(i, k) B[k][j], where B and C are row-major and A is read one element
 * at a time through two strides, so that A can be a row-major matrix or a transposed (column-major)
 * one alike: the weight gradient dW = dz^T x reads dz's columns, which needs no transposition.
 * Every C element sums its products in ascending k with fused multiply-adds, block by block of
 * {@value #DEPTH_BLOCK} k, each block's sum added to C in order, the same whichever row band,
 * column block or thread computes it, so results do not depend on the thread count. The register
 * tile is 8 rows by two vectors of columns; at these sizes (K up to a few thousand, N of 32 to 512)
 * it runs at 1.2-1.6x OpenBLAS 0.3.19, which spends a third of its time packing.
 *
 * <p>Only loaded when {@link FusedRuntime#vectorKernels()} says the module is there (see {@link
 * LstmVectorKernels}).
 */
public final class VectorGemm {

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  /** Lanes per vector: C's column count must be a multiple of it. */
  public static final int LANES = S.length();

  /**
   * Rows of C per register tile. A job whose rows and columns are whole tiles ({@link #wholeTiles})
   * runs entirely in the register tile; anything left over runs one vector at a time, a slow path
   * that also changes what C2 makes of the whole method once it is hot (the tile then ran at half
   * its speed in some runs): callers pad their hot shapes instead.
   */
  public static final int TILE_ROWS = 8;

  /** Depth (k) per block: B's block of rows stays in L2 while every row tile passes over it. */
  private static final int DEPTH_BLOCK = 256;

  /** Columns per register tile: two vectors. */
  public static final int PAIR = 2 * LANES;

  private VectorGemm() {}

  /** {@code n} rounded up to a multiple of {@code tile} ({@link #TILE_ROWS}, {@link #PAIR}). */
  public static int wholeTiles(int n, int tile) {
    return Math.floorDiv(n + tile - 1, tile) * tile;
  }

  /** Whether C can have {@code columns} columns. */
  public static boolean supports(int columns) {
    return LANES >= 8 && columns % LANES == 0;
  }

  /**
   * One multiply: C[i][j] = sum_k A(i, k) B[k][j] (plus C's old value when {@code accumulate}), for
   * i < rows, j < columns, k < depth, where A(i, k) = a[aOffset + i * aRowStride + k *
   * aDepthStride], B[k][j] = b[bOffset + k * ldb + j] and C[i][j] = c[cOffset + i * ldc + j].
   */
  public record Job(
      int rows,
      int columns,
      int depth,
      float[] a,
      int aOffset,
      int aRowStride,
      int aDepthStride,
      float[] b,
      int bOffset,
      int ldb,
      float[] c,
      int cOffset,
      int ldc,
      boolean accumulate) {

    public Job {
      if (!supports(columns)) {
        throw new IllegalArgumentException(
            "columns must be a multiple of " + LANES + ", got " + columns);
      }
    }

    /** Runs rows [from, to) of C on the calling thread. */
    public void run(int from, int to) {
      multiply(this, from, to);
    }
  }

  /**
   * Runs the jobs on up to {@code threads} threads (the caller's included): each job's rows are cut
   * into as many bands, on whole register tiles, and thread i runs band i of every job in list
   * order.
   */
  public static void run(List<Job> jobs, int threads) {
    FusedRuntime.runBands(jobs, threads, Job::rows, TILE_ROWS, VectorGemm::multiply);
  }

  private static void multiply(Job job, int from, int to) {
    int n = job.columns();
    if (job.depth() == 0) {
      if (!job.accumulate()) {
        for (int i = from; i < to; i++) {
          int row = job.cOffset() + i * job.ldc();
          Arrays.fill(job.c(), row, row + n, 0f);
        }
      }
      return;
    }
    int pairColumns = n / PAIR * PAIR;
    Panels panels = PANELS.get();
    for (int k0 = 0; k0 < job.depth(); k0 += DEPTH_BLOCK) {
      int k1 = Math.min(job.depth(), k0 + DEPTH_BLOCK);
      int depth = k1 - k0;
      // Each block sums from zero and adds C at the end, unless it is the first of a fresh C: C is
      // never cleared beforehand.
      boolean load = k0 > 0 || job.accumulate();
      float[] bPanel = panels.packB(job, k0, depth, pairColumns);
      int i = from;
      for (; i + TILE_ROWS <= to; i += TILE_ROWS) {
        // A transposed (dz^T) is read where it is, its eight floats of each k consecutive;
        // otherwise the tile's rows are packed that way first.
        boolean direct = job.aRowStride() == 1;
        float[] aPanel = direct ? job.a() : panels.packA(job, i, k0, depth);
        int aStart = direct ? job.aOffset() + i + k0 * job.aDepthStride() : 0;
        int aStep = direct ? job.aDepthStride() : TILE_ROWS;
        int c0 = job.cOffset() + i * job.ldc();
        for (int j = 0; j < pairColumns; j += PAIR) {
          tile8x2(
              aPanel, aStart, aStep, bPanel, j * depth, depth, job.c(), c0 + j, job.ldc(), load);
        }
        for (int j = pairColumns; j < n; j += LANES) {
          for (int r = 0; r < TILE_ROWS; r++) {
            tile1x1(job, i + r, j, k0, k1, load);
          }
        }
      }
      for (; i < to; i++) {
        for (int j = 0; j < n; j += LANES) {
          tile1x1(job, i, j, k0, k1, load);
        }
      }
    }
  }

  /**
   * One thread's copy of B's current depth block, laid out in the order the register tile reads it,
   * so that the tile's vector loads index it with a compile-time stride of the loop counter and C2
   * checks their bounds once per loop. Read through B's own row stride instead, how C2 compiled the
   * tile depended on the order in which the shapes first ran: the same 120-batch training run spent
   * 1.0x to 1.6x the CPU time in it. Each thread packs the block for its own band of rows; every
   * row tile of the band reuses it.
   *
   * <p>The tile reads A's eight rows at compile-time offsets from one index that steps once per k:
   * a transposed A (dz^T, row stride 1) is laid out that way already, and any other A is packed
   * into it, tile by tile. C2 then checks the eight loads' bounds once and keeps the sixteen
   * accumulators, two B vectors and the broadcast in registers with few general-purpose registers
   * live. Read through A's two strides, the tile needed a bounds check and a live row offset per
   * row, and how C2 allocated registers for it varied from run to run: on a core with two 512-bit
   * FMA pipes (Zen 5) the same training run spent 1.0x to 1.3x the time in it.
   */
  private static final class Panels {
    private float[] b = new float[0];
    private final float[] a = new float[DEPTH_BLOCK * TILE_ROWS];

    /** A(i + r, k0 + p) for r < {@link #TILE_ROWS}, p < depth, at p * TILE_ROWS + r. */
    float[] packA(Job job, int i, int k0, int depth) {
      float[] src = job.a();
      int rs = job.aRowStride();
      int ds = job.aDepthStride();
      int base = job.aOffset() + i * rs + k0 * ds;
      if (ds == 1) {
        for (int r = 0; r < TILE_ROWS; r++) {
          int from = base + r * rs;
          for (int p = 0; p < depth; p++) {
            a[p * TILE_ROWS + r] = src[from + p];
          }
        }
      } else {
        for (int p = 0; p < depth; p++) {
          for (int r = 0; r < TILE_ROWS; r++) {
            a[p * TILE_ROWS + r] = src[base + p * ds + r * rs];
          }
        }
      }
      return a;
    }

    /**
     * B[k0..k0+depth)[0..columns) as column blocks of {@link #PAIR}: element (p, j) at (j / PAIR) *
     * depth * PAIR + p * PAIR + j % PAIR, so block j starts at j * depth.
     */
    float[] packB(Job job, int k0, int depth, int columns) {
      if (b.length < depth * columns) {
        b = new float[DEPTH_BLOCK * Math.max(columns, PAIR)];
      }
      float[] src = job.b();
      int ldb = job.ldb();
      int row = job.bOffset() + k0 * ldb;
      for (int p = 0; p < depth; p++, row += ldb) {
        for (int j = 0; j < columns; j += PAIR) {
          int to = j * depth + p * PAIR;
          FloatVector.fromArray(S, src, row + j).intoArray(b, to);
          FloatVector.fromArray(S, src, row + j + LANES).intoArray(b, to + LANES);
        }
      }
      return b;
    }
  }

  private static final ThreadLocal<Panels> PANELS = ThreadLocal.withInitial(Panels::new);

  /**
   * C[c0 + r * ldc + (0..2L)] (+)= sum_p A(r, p) B[bOffset + p * 2L + (0..2L)] for r < 8, where
   * A(r, p) = a[aOffset + p * aStep + r] (a packed row tile, or a transposed A read in place) and B
   * is one column block of a packed depth block.
   */
  private static void tile8x2(
      float[] a,
      int aOffset,
      int aStep,
      float[] b,
      int bOffset,
      int depth,
      float[] c,
      int c0,
      int ldc,
      boolean load) {
    FloatVector s00 = FloatVector.zero(S);
    FloatVector s01 = FloatVector.zero(S);
    FloatVector s10 = FloatVector.zero(S);
    FloatVector s11 = FloatVector.zero(S);
    FloatVector s20 = FloatVector.zero(S);
    FloatVector s21 = FloatVector.zero(S);
    FloatVector s30 = FloatVector.zero(S);
    FloatVector s31 = FloatVector.zero(S);
    FloatVector s40 = FloatVector.zero(S);
    FloatVector s41 = FloatVector.zero(S);
    FloatVector s50 = FloatVector.zero(S);
    FloatVector s51 = FloatVector.zero(S);
    FloatVector s60 = FloatVector.zero(S);
    FloatVector s61 = FloatVector.zero(S);
    FloatVector s70 = FloatVector.zero(S);
    FloatVector s71 = FloatVector.zero(S);
    int ao = aOffset;
    for (int p = 0; p < depth; p++, ao += aStep) {
      int bo = bOffset + p * PAIR;
      FloatVector b0 = FloatVector.fromArray(S, b, bo);
      FloatVector b1 = FloatVector.fromArray(S, b, bo + LANES);
      FloatVector x = FloatVector.broadcast(S, a[ao]);
      s00 = b0.fma(x, s00);
      s01 = b1.fma(x, s01);
      x = FloatVector.broadcast(S, a[ao + 1]);
      s10 = b0.fma(x, s10);
      s11 = b1.fma(x, s11);
      x = FloatVector.broadcast(S, a[ao + 2]);
      s20 = b0.fma(x, s20);
      s21 = b1.fma(x, s21);
      x = FloatVector.broadcast(S, a[ao + 3]);
      s30 = b0.fma(x, s30);
      s31 = b1.fma(x, s31);
      x = FloatVector.broadcast(S, a[ao + 4]);
      s40 = b0.fma(x, s40);
      s41 = b1.fma(x, s41);
      x = FloatVector.broadcast(S, a[ao + 5]);
      s50 = b0.fma(x, s50);
      s51 = b1.fma(x, s51);
      x = FloatVector.broadcast(S, a[ao + 6]);
      s60 = b0.fma(x, s60);
      s61 = b1.fma(x, s61);
      x = FloatVector.broadcast(S, a[ao + 7]);
      s70 = b0.fma(x, s70);
      s71 = b1.fma(x, s71);
    }
    // C's row offsets only now: fewer registers live in the loop.
    int c1 = c0 + ldc;
    int c2 = c1 + ldc;
    int c3 = c2 + ldc;
    int c4 = c3 + ldc;
    int c5 = c4 + ldc;
    int c6 = c5 + ldc;
    int c7 = c6 + ldc;
    // Stores on both branches, so that no vector value merges after them (C2 in JDK 17 would box
    // it).
    if (load) {
      s00.add(FloatVector.fromArray(S, c, c0)).intoArray(c, c0);
      s01.add(FloatVector.fromArray(S, c, c0 + LANES)).intoArray(c, c0 + LANES);
      s10.add(FloatVector.fromArray(S, c, c1)).intoArray(c, c1);
      s11.add(FloatVector.fromArray(S, c, c1 + LANES)).intoArray(c, c1 + LANES);
      s20.add(FloatVector.fromArray(S, c, c2)).intoArray(c, c2);
      s21.add(FloatVector.fromArray(S, c, c2 + LANES)).intoArray(c, c2 + LANES);
      s30.add(FloatVector.fromArray(S, c, c3)).intoArray(c, c3);
      s31.add(FloatVector.fromArray(S, c, c3 + LANES)).intoArray(c, c3 + LANES);
      s40.add(FloatVector.fromArray(S, c, c4)).intoArray(c, c4);
      s41.add(FloatVector.fromArray(S, c, c4 + LANES)).intoArray(c, c4 + LANES);
      s50.add(FloatVector.fromArray(S, c, c5)).intoArray(c, c5);
      s51.add(FloatVector.fromArray(S, c, c5 + LANES)).intoArray(c, c5 + LANES);
      s60.add(FloatVector.fromArray(S, c, c6)).intoArray(c, c6);
      s61.add(FloatVector.fromArray(S, c, c6 + LANES)).intoArray(c, c6 + LANES);
      s70.add(FloatVector.fromArray(S, c, c7)).intoArray(c, c7);
      s71.add(FloatVector.fromArray(S, c, c7 + LANES)).intoArray(c, c7 + LANES);
    } else {
      s00.intoArray(c, c0);
      s01.intoArray(c, c0 + LANES);
      s10.intoArray(c, c1);
      s11.intoArray(c, c1 + LANES);
      s20.intoArray(c, c2);
      s21.intoArray(c, c2 + LANES);
      s30.intoArray(c, c3);
      s31.intoArray(c, c3 + LANES);
      s40.intoArray(c, c4);
      s41.intoArray(c, c4 + LANES);
      s50.intoArray(c, c5);
      s51.intoArray(c, c5 + LANES);
      s60.intoArray(c, c6);
      s61.intoArray(c, c6 + LANES);
      s70.intoArray(c, c7);
      s71.intoArray(c, c7 + LANES);
    }
  }

  /**
   * C[i][j..j+L) += sum_{k0 <= k < k1} A(i, k) B[k][j..]: the same operations in the same order.
   */
  private static void tile1x1(Job job, int i, int j, int k0, int k1, boolean load) {
    float[] a = job.a();
    float[] b = job.b();
    float[] c = job.c();
    int ds = job.aDepthStride();
    int ldb = job.ldb();
    int c0 = job.cOffset() + i * job.ldc() + j;
    FloatVector s = FloatVector.zero(S);
    int ao = job.aOffset() + i * job.aRowStride() + k0 * ds;
    int bo = job.bOffset() + k0 * ldb + j;
    for (int k = k0; k < k1; k++, ao += ds, bo += ldb) {
      s = FloatVector.fromArray(S, b, bo).fma(FloatVector.broadcast(S, a[ao]), s);
    }
    if (load) {
      s.add(FloatVector.fromArray(S, c, c0)).intoArray(c, c0);
    } else {
      s.intoArray(c, c0);
    }
  }
}
