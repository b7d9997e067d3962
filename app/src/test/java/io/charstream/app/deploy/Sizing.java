package io.charstream.app.deploy;

/**
 * Measured figures the manifests are sized from; deploy/README.md ("Sizing") shows the arithmetic.
 */
final class Sizing {

  /**
   * Characters per second one request (slot) gets when a generator steps a full batch of 64 on 2
   * cores: about 1,700 chars/s at batch 1 times about 18 for a batch-64 step, over 64 slots (DL4J
   * stock LSTM, measured on the reference machine; see shared DESIGN "Machine facts").
   */
  static final double CHARS_PER_S_PER_SLOT_FULL_BATCH = 1_700.0 * 18 / 64;

  private Sizing() {}
}
