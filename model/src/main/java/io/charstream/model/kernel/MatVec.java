package io.charstream.model.kernel;

/**
 * acc[i] += x[i] · rows for many vectors x[i], in loops C2 vectorises: each weight row is its own
 * array and every inner loop indexes its arrays alike. Four rows are applied per pass over an
 * accumulator ({@code y[j] += a0 w0[j] + a1 w1[j] + a2 w2[j] + a3 w3[j]}, a fixed evaluation
 * order), and a block of {@value #STREAM_BLOCK} vectors shares each group of rows while it is in
 * L1.
 *
 * <p>A vector's result depends only on its own values and the rows, never on the other vectors or
 * how many there are: the same float operations in the same order.
 */
public final class MatVec {

  /** Vectors per block: eight accumulators of 4H = 512 floats stay in L1 with four rows. */
  public static final int STREAM_BLOCK = 8;

  private MatVec() {}

  /** acc[0, width) += sum over r < k of x[r] * rows[r][0, width). */
  public static void accumulate(float[] x, float[][] rows, int k, float[] acc, int width) {
    accumulate(new float[][] {x}, 0, rows, k, new float[][] {acc}, 0, 1, width);
  }

  /**
   * acc[accFrom + i][0, width) += sum over r < k of x[xFrom + i][r] * rows[r][0, width), for i in
   * [0, count).
   */
  public static void accumulate(
      float[][] x,
      int xFrom,
      float[][] rows,
      int k,
      float[][] acc,
      int accFrom,
      int count,
      int width) {
    int k4 = k - k % 4;
    for (int b0 = 0; b0 < count; b0 += STREAM_BLOCK) {
      int b1 = Math.min(count, b0 + STREAM_BLOCK);
      for (int r = 0; r < k4; r += 4) {
        float[] w0 = rows[r];
        float[] w1 = rows[r + 1];
        float[] w2 = rows[r + 2];
        float[] w3 = rows[r + 3];
        for (int i = b0; i < b1; i++) {
          float[] xi = x[xFrom + i];
          axpy4(acc[accFrom + i], xi[r], w0, xi[r + 1], w1, xi[r + 2], w2, xi[r + 3], w3, width);
        }
      }
      for (int r = k4; r < k; r++) {
        for (int i = b0; i < b1; i++) {
          axpy(acc[accFrom + i], x[xFrom + i][r], rows[r], width);
        }
      }
    }
  }

  private static void axpy4(
      float[] y,
      float a0,
      float[] w0,
      float a1,
      float[] w1,
      float a2,
      float[] w2,
      float a3,
      float[] w3,
      int width) {
    for (int j = 0; j < width; j++) {
      y[j] += a0 * w0[j] + a1 * w1[j] + a2 * w2[j] + a3 * w3[j];
    }
  }

  private static void axpy(float[] y, float a, float[] w, int width) {
    for (int j = 0; j < width; j++) {
      y[j] += a * w[j];
    }
  }
}
