package io.charstream.model.kernel;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Native addresses of ND4J arrays, for handing them to BLAS directly. */
public final class Pointers {

  private Pointers() {}

  /**
   * A pointer to the first element of {@code array} (its view offset included). The caller must
   * know the array's memory layout; see {@link #ofColumnMajor}.
   */
  public static FloatPointer of(INDArray array) {
    if (array.dataType() != DataType.FLOAT) {
      throw new IllegalArgumentException(
          "the fused LSTM works in float32, got " + array.dataType());
    }
    // data().addressPointer() includes the view's offset into the shared buffer; data().address()
    // does not.
    return new FloatPointer(array.data().addressPointer());
  }

  /** The native address of the first element of {@code array} (its view offset included). */
  public static long address(INDArray array) {
    FloatPointer p = of(array);
    return p.address() + p.position() * Float.BYTES;
  }

  /** The native address a positioned pointer points to. */
  public static long address(FloatPointer p) {
    return p.address() + p.position() * Float.BYTES;
  }

  /** A new pointer object at a raw native address (no ownership, nothing to free). */
  public static FloatPointer at(long address) {
    return new FloatPointer(new Raw(address));
  }

  /** JavaCPP keeps a pointer's address in a protected field: this is how to set it. */
  private static final class Raw extends org.bytedeco.javacpp.Pointer {
    public Raw(long address) {
      this.address = address;
    }
  }

  /**
   * A pointer to a dense column-major [rows, cols] matrix (DL4J keeps its LSTM weights so), which
   * in row-major terms is the transpose, [cols][rows]. Fails if the array is not laid out so.
   */
  public static FloatPointer ofColumnMajor(INDArray matrix, long rows, long cols) {
    boolean dense =
        matrix.rank() == 2
            && matrix.size(0) == rows
            && matrix.size(1) == cols
            && (cols == 1 || matrix.stride(1) == rows)
            && (rows == 1 || matrix.stride(0) == 1);
    if (!dense) {
      throw new IllegalStateException(
          "expected a dense column-major ["
              + rows
              + ", "
              + cols
              + "] parameter array but got shape "
              + java.util.Arrays.toString(matrix.shape())
              + " strides "
              + java.util.Arrays.toString(matrix.stride())
              + " order "
              + matrix.ordering());
    }
    return of(matrix);
  }

  /**
   * A pointer to a dense vector of {@code length} elements (rank 1, or a [1, n] / [n, 1] matrix).
   */
  public static FloatPointer ofVector(INDArray vector, long length) {
    boolean dense =
        vector.length() == length
            && vector.elementWiseStride() == 1
            && (vector.rank() == 1
                || (vector.rank() == 2 && (vector.size(0) == 1 || vector.size(1) == 1)));
    if (!dense) {
      throw new IllegalStateException(
          "expected a dense vector of "
              + length
              + " elements but got shape "
              + java.util.Arrays.toString(vector.shape())
              + " strides "
              + java.util.Arrays.toString(vector.stride()));
    }
    return of(vector);
  }
}
