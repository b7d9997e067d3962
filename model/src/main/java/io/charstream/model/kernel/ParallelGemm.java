package io.charstream.model.kernel;

import java.util.List;

/**
 * Large matrix multiplies shared between threads: every multiply is cut into as many bands of rows
 * of C as there are threads, and thread i runs band i of every multiply, in list order (so a
 * multiply that accumulates into the C of an earlier one, beta 1, sees it finished in its own
 * band).
 */
public final class ParallelGemm {

  /** C[m, n] = op(A) op(B) + beta C on native addresses, row-major (see {@link Blas#gemm}). */
  public record Job(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      long a,
      int lda,
      long b,
      int ldb,
      float beta,
      long c,
      int ldc) {

    /** Rows [from, to) of C. */
    public Job band(int from, int to) {
      long aOffset = transA ? from : (long) from * lda;
      return new Job(
          transA,
          transB,
          to - from,
          n,
          k,
          a + 4L * aOffset,
          lda,
          b,
          ldb,
          beta,
          c + 4L * from * ldc,
          ldc);
    }

    public void run() {
      if (m > 0 && n > 0) {
        Blas.gemm(
            transA,
            transB,
            m,
            n,
            k,
            Pointers.at(a),
            lda,
            Pointers.at(b),
            ldb,
            beta,
            Pointers.at(c),
            ldc);
      }
    }
  }

  private ParallelGemm() {}

  /** Runs the jobs on up to {@code threads} threads (the caller's included). */
  public static void run(List<Job> jobs, int threads) {
    FusedRuntime.runBands(jobs, threads, Job::m, 1, (job, from, to) -> job.band(from, to).run());
  }
}
