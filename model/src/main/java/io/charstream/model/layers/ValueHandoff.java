package io.charstream.model.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The Java arrays behind the activations and gradients fused layers pass each other through DL4J. A
 * fused layer that copies its result from a Java array into the native array DL4J passes on records
 * that Java array here; the next fused layer, given the same native array, reads the Java values in
 * place instead of copying them back out (about 2 MB each way per array in the reference network's
 * training step, on the calling thread while the helper waits).
 *
 * <p>Recognised by identity of the native array, among the last few recorded on this thread, so a
 * copy in between (dropout, a preprocessor, another layout) makes the reader copy as before. The
 * writer keeps the Java array unchanged until its own next pass; the native array still gets the
 * values, for anything else that reads it.
 */
final class ValueHandoff {

  /** Entries kept per thread: a pass publishes at most one per layer each way. */
  private static final int KEPT = 8;

  /** A Java array and the offset at which the native array's values start in it (row-major). */
  record Values(float[] values, int offset) {}

  private record Entry(INDArray array, Values values) {}

  /** One thread's last {@link #KEPT} entries, a ring. */
  private static final class Recent {
    final Entry[] entries = new Entry[KEPT];
    int next;
  }

  private static final ThreadLocal<Recent> RECENT = ThreadLocal.withInitial(Recent::new);

  private ValueHandoff() {}

  /**
   * Records that {@code array}'s dense row-major values are {@code values[offset..]}; the caller
   * leaves them unchanged until its next pass.
   */
  static void publish(INDArray array, float[] values, int offset) {
    Recent recent = RECENT.get();
    recent.entries[recent.next] = new Entry(array, new Values(values, offset));
    recent.next = (recent.next + 1) % KEPT;
  }

  /** The Java values behind {@code array} (at least {@code length} of them), or null. */
  static Values of(INDArray array, long length) {
    for (Entry entry : RECENT.get().entries) {
      if (entry != null
          && entry.array() == array
          && entry.values().values().length - (long) entry.values().offset() >= length) {
        return entry.values();
      }
    }
    return null;
  }
}
