package io.charstream.model.training;

/**
 * Global gradient-norm clipping as PyTorch's clip_grad_norm: when the L2 norm over ALL parameters'
 * gradients exceeds the threshold, every gradient is scaled by threshold / norm. (DL4J only clips
 * per layer or per parameter.)
 */
final class GlobalNormClip {

  private GlobalNormClip() {}

  /** The factor PyTorch applies: maxNorm / (norm + 1e-6) when norm exceeds maxNorm, else 1. */
  static double factor(double norm, double maxNorm) {
    if (maxNorm <= 0.0 || !(norm > maxNorm)) {
      return 1.0;
    }
    return maxNorm / (norm + 1e-6);
  }

  /** The plain-loop twin on float arrays (for tests and tools): clips the gradients in place. */
  static double clip(float[][] gradients, double maxNorm) {
    double sumSquares = 0.0;
    for (float[] g : gradients) {
      for (float v : g) {
        sumSquares += (double) v * v;
      }
    }
    double factor = factor(Math.sqrt(sumSquares), maxNorm);
    for (float[] g : gradients) {
      for (int i = 0; i < g.length; i++) {
        g[i] = (float) (g[i] * factor);
      }
    }
    return factor;
  }
}
