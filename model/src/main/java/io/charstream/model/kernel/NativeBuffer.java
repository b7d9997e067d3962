package io.charstream.model.kernel;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A float buffer in native memory seen three ways: as ND4J arrays (for the layout changes at the
 * layer's boundary, done once per batch by ND4J's native copy), as a JavaCPP pointer for BLAS, and
 * as a source/target of bulk copies to and from Java arrays (JNI array-region copies, no
 * per-element calls).
 *
 * <p>Allocated once, outside any DL4J workspace, and reused for every batch: not thread-safe (the
 * pointer's position is a cursor), owned by one {@link io.charstream.model.layers.LstmShard}.
 */
public final class NativeBuffer {

  private final INDArray array;
  private final FloatPointer pointer;

  public NativeBuffer(long capacity) {
    this.array = Nd4j.createUninitializedDetached(DataType.FLOAT, Math.max(1, capacity));
    this.pointer = Pointers.of(array);
  }

  public long capacity() {
    return array.length();
  }

  /**
   * The pointer, positioned at element {@code offset}. Valid until the next call on this buffer.
   */
  public FloatPointer at(long offset) {
    return pointer.position(offset);
  }

  /** A row-major view of {@code product(shape)} elements starting at {@code offset}. */
  public INDArray view(long offset, long... shape) {
    long length = 1;
    for (long s : shape) {
      length *= s;
    }
    return array.get(NDArrayIndex.interval(offset, offset + length)).reshape('c', shape);
  }

  /** dst[0, n) = buffer[offset, offset + n). */
  public void read(long offset, float[] dst, int n) {
    pointer.position(offset).get(dst, 0, n);
  }

  /** buffer[offset, offset + n) = src[0, n). */
  public void write(long offset, float[] src, int n) {
    pointer.position(offset).put(src, 0, n);
  }
}
