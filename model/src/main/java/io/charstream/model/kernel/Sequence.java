package io.charstream.model.kernel;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Where a [batch, features, time] ND4J array keeps its elements, so that BLAS can read the [rows,
 * features] matrix of one time step in place: element (b, f, t) is at {@code base + b * batch + f *
 * feature + t * time}. A step's rows form a BLAS matrix when either the features of a row are
 * adjacent ({@code feature == 1}: the matrix as stored, leading dimension {@code batch}) or the
 * rows of a feature are ({@code batch == 1}: stored transposed, leading dimension {@code feature}).
 * DL4J's arrays come in both forms: the stock LSTM's output and the output layer's gradient have
 * {@code batch == 1}; the embedding layer's output and this package's arrays have {@code feature ==
 * 1}.
 *
 * @param base address of element (0, 0, 0)
 * @param batch stride between rows (batch entries), in elements
 * @param feature stride between features
 * @param time stride between steps
 */
public record Sequence(long base, long batch, long feature, long time) {

  /** The layout of {@code array}, or null when neither stride is 1 (the caller copies it then). */
  public static Sequence of(INDArray array) {
    long[] stride = array.stride();
    boolean usable = stride[1] == 1 || stride[0] == 1 || array.size(0) == 1 || array.size(1) == 1;
    if (!usable) {
      return null;
    }
    long batch = array.size(0) == 1 && stride[1] != 1 ? 1 : stride[0];
    long feature = array.size(1) == 1 && stride[0] != 1 ? 1 : stride[1];
    return new Sequence(Pointers.address(array), batch, feature, stride[2]);
  }

  /** Whether a step's matrix is stored transposed ([features][rows]). */
  public boolean transposed() {
    return feature != 1;
  }

  /** The leading dimension of a step's matrix as stored. */
  public int leadingDimension() {
    return Math.toIntExact(transposed() ? feature : batch);
  }

  /** A new pointer object (one per thread and operand) at row {@code row} of step {@code step}. */
  public FloatPointer at(int step, int row) {
    return Pointers.at(base + 4L * ((long) step * time + (long) row * batch));
  }
}
