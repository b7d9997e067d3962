package io.charstream.app.deploy;

import io.charstream.trainer.TrainerConfig;

/**
 * Measured figures the manifests are sized from; deploy/README.md ("Sizing", "Probes") shows the
 * arithmetic.
 */
final class Sizing {

  /**
   * Characters per second one request (slot) gets when a generator steps a full batch of 64 on 2
   * cores: about 1,700 chars/s at batch 1 times about 18 for a batch-64 step, over 64 slots (DL4J
   * stock LSTM, measured on the reference machine; see shared DESIGN "Machine facts").
   */
  static final double CHARS_PER_S_PER_SLOT_FULL_BATCH = 1_700.0 * 18 / 64;

  /**
   * FLOPs of one training character per parameter that multiplies it: forward 2, backward 4. The
   * reference spec's 229,794 parameters give 1.38 MFLOP, DESIGN's measured 1.35.
   */
  static final double FLOP_PER_PARAMETER_CHAR = 6;

  /** Parameters of the reference spec, at whose size the training speeds below were measured. */
  static final double REFERENCE_PARAMETERS = 229_794;

  /**
   * Bytes a training state takes on the wire per parameter: weights and Adam's two moments (12
   * bytes), base64 in JSON (x 4/3).
   */
  static final double STATE_BYTES_PER_PARAMETER = 16;

  /**
   * Rate at which a training thread encodes and writes its state: a conservative 20 MB/s (3.9 MB
   * took well under the measured 3.8 s handover of docs/trainer.md, load 19).
   */
  static final double STATE_WRITE_BYTES_PER_S = 20e6;

  private Sizing() {}

  /**
   * Training FLOP/s of a trainer pod by its CPU limit, on the slowest path the image can run
   * (DL4J's stock layers, {@code CHARSTREAM_LAYERS=stock}; the default fused layers train about 4x
   * faster): 16,000 chars/s on one core, 21,000 on two, at the reference spec (DESIGN "Machine
   * facts").
   */
  static double trainingFlopPerSecond(double cpus) {
    double charsPerS = cpus >= 2 ? 21_000 : 16_000;
    return charsPerS * FLOP_PER_PARAMETER_CHAR * REFERENCE_PARAMETERS;
  }

  /**
   * The most FLOPs one training step can take among the requests these limits accept: 6 FLOP per
   * multiplied parameter (all but the embedding, whose rows are gathered) per character, times the
   * characters of a step, which max.batch.activation.floats bounds by floats / (embeddingSize + 6 x
   * rnnSize x numLayers + vocabulary) and max.batch.size x max.seq.len. The maximum over every
   * shape within max.parameters: the ratio is monotone in embeddingSize and in vocabulary for a
   * given rnnSize and numLayers, so their extremes are tried (vocabulary in powers of two).
   */
  static double longestStepFlops(TrainerConfig.Limits limits) {
    double best = 0;
    double maxChars = (double) limits.maxBatchSize() * limits.maxSeqLen();
    for (long h = 1; 4 * h * (h + 2) <= limits.maxParameters(); h++) {
      for (long layers = 1; layers <= 64; layers++) {
        boolean fits = false;
        for (long v = 2; v <= 1 << 20; v *= 2) {
          long fixed = lstm(0, h, layers) + h * v + v; // every parameter but E's share
          long perE = v + 4 * h; // parameters per unit of embeddingSize
          long maxE = Math.min(1 << 14, (limits.maxParameters() - fixed) / perE);
          if (maxE < 1) break;
          fits = true;
          for (long e : new long[] {1, maxE}) {
            double multiplied = lstm(e, h, layers) + h * v + v;
            double chars =
                Math.min(
                    maxChars,
                    (double) limits.maxBatchActivationFloats() / (e + 6 * h * layers + v));
            best = Math.max(best, FLOP_PER_PARAMETER_CHAR * multiplied * chars);
          }
        }
        if (!fits) break;
      }
    }
    return best;
  }

  /** LSTM parameters of {@code layers} layers of {@code h} units over an input of {@code e}. */
  private static long lstm(long e, long h, long layers) {
    return 4 * h * (e + h + 1) + (layers - 1) * 4 * h * (2 * h + 1);
  }

  /** Seconds to encode and write the training state of the largest model accepted. */
  static double stateSaveSeconds(long maxParameters) {
    return maxParameters * STATE_BYTES_PER_PARAMETER / STATE_WRITE_BYTES_PER_S;
  }
}
