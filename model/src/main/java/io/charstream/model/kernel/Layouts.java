package io.charstream.model.kernel;

import java.util.Arrays;
import org.deeplearning4j.exception.DL4JInvalidInputException;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The [batch, features, steps] layout the fused layers hand each other: memory
 * [steps][batch][features] (row-major), so that one step's rows are adjacent and all rows (t, b)
 * form one matrix.
 */
public final class Layouts {

  private Layouts() {}

  /**
   * A new [batch, features, steps] array laid out [steps][batch][features], in the workspace the
   * manager keeps for {@code type}, or outside workspaces when it keeps none for it (some inference
   * paths configure no INPUT workspace).
   */
  public static INDArray stepsMajor(
      LayerWorkspaceMgr workspaceMgr, ArrayType type, long batch, long features, long steps) {
    long[] shape = {steps, batch, features};
    INDArray array =
        workspaceMgr.hasConfiguration(type) || workspaceMgr.isScopedOut(type)
            ? workspaceMgr.createUninitialized(type, DataType.FLOAT, shape, 'c')
            : Nd4j.createUninitializedDetached(DataType.FLOAT, shape);
    return array.permute(1, 2, 0);
  }

  /**
   * Whether {@code array}'s rows (t, b) are dense in step order: row t * mb + b at (t * mb + b) *
   * features.
   */
  public static boolean isStepsMajor(INDArray array) {
    Sequence layout = Sequence.of(array);
    long batch = array.size(0);
    boolean denseRows =
        layout != null && !layout.transposed() && (batch == 1 || layout.batch() == array.size(1));
    return denseRows && (array.size(2) == 1 || layout.time() == batch * array.size(1));
  }

  /** {@code array} if it is steps-major, else a steps-major copy. */
  public static INDArray stepsMajor(
      INDArray array, LayerWorkspaceMgr workspaceMgr, ArrayType type) {
    if (array.dataType() == DataType.FLOAT && isStepsMajor(array)) {
      return array;
    }
    INDArray copy = stepsMajor(workspaceMgr, type, array.size(0), array.size(1), array.size(2));
    copy.assign(array);
    return copy;
  }

  /**
   * Checks that a layer's incoming gradient has its output's shape [batch, features, steps].
   *
   * @throws DL4JInvalidInputException naming both shapes when it has not
   */
  public static void checkEpsilon(INDArray epsilon, long batch, long features, long steps) {
    if (epsilon.rank() != 3
        || epsilon.size(0) != batch
        || epsilon.size(1) != features
        || epsilon.size(2) != steps) {
      throw new DL4JInvalidInputException(
          "epsilon shape "
              + Arrays.toString(epsilon.shape())
              + " does not match the layer output ["
              + batch
              + ", "
              + features
              + ", "
              + steps
              + "]");
    }
  }
}
