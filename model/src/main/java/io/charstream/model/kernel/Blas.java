package io.charstream.model.kernel;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * The OpenBLAS that ND4J already loads (JavaCPP's openblas_nolapack), called directly on native
 * pointers: one JNI call per matrix multiply, no ND4J op dispatch, no allocation. Row-major
 * throughout.
 */
public final class Blas {

  private Blas() {}

  /**
   * C[m, n] = op(A)[m, k] op(B)[k, n] + beta C, row-major with leading dimensions lda, ldb, ldc.
   *
   * @param transA use A transposed (A is stored [k, m])
   * @param transB use B transposed (B is stored [n, k])
   */
  public static void gemm(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      FloatPointer a,
      int lda,
      FloatPointer b,
      int ldb,
      float beta,
      FloatPointer c,
      int ldc) {
    openblas_nolapack.cblas_sgemm(
        CblasRowMajor,
        transA ? CblasTrans : CblasNoTrans,
        transB ? CblasTrans : CblasNoTrans,
        m,
        n,
        k,
        1f,
        a,
        lda,
        b,
        ldb,
        beta,
        c,
        ldc);
  }

  /** y[0, n) += x[0, n). */
  public static void add(int n, FloatPointer x, FloatPointer y) {
    openblas_nolapack.cblas_saxpy(n, 1f, x, 1, y, 1);
  }
}
