package io.charstream.model.layers;

import java.util.concurrent.atomic.AtomicLong;
import org.deeplearning4j.nn.conf.dropout.IDropout;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Inverted dropout whose mask is a fixed function of (seed, step, position), so that a stock and a
 * fused network drop exactly the same inputs: ND4J's own {@code Dropout} draws its mask in memory
 * order, and the two networks lay their arrays out differently.
 *
 * <p>A position is the logical index (b, feature, t) of a [batch, features, time] input, in any
 * memory layout; a 2-d [batch x time, features] input (the stock RNN output layer reshapes its
 * input so before it applies dropout) is read as row = b + batch * t, which is how DL4J's {@code
 * TimeSeriesUtils.reshape3dTo2d} lays the rows out (checked by {@code FixedMaskDropoutTest}). The
 * step is read from a counter the test advances and that clones share, so every layer of both
 * networks uses the same step's masks. Counts its calls, so a test can tell that a layer applied
 * the mask forwards and backwards.
 */
public final class FixedMaskDropout implements IDropout {

  private static final long serialVersionUID = 1L;

  private final double retain;
  private final long seed;
  private final int batch;
  private final AtomicLong step;
  private transient INDArray mask;
  private int applied;
  private int backpropagated;

  /**
   * @param retain the probability to keep an input (DL4J's convention)
   * @param seed this layer's masks (give each layer its own)
   * @param batch the minibatch size, to read 2-d [batch x time, features] inputs
   * @param step the current training step, shared by every layer
   */
  public FixedMaskDropout(double retain, long seed, int batch, AtomicLong step) {
    if (!(retain > 0 && retain < 1)) {
      throw new IllegalArgumentException("retain must be in (0, 1), got " + retain);
    }
    this.retain = retain;
    this.seed = seed;
    this.batch = batch;
    this.step = step;
  }

  /** 1/retain where (b, feature, t) is kept at the current step, else 0. */
  public float maskAt(long b, long feature, long t) {
    long z = mix(seed * 0x9E3779B97F4A7C15L + step.get());
    z = mix(z ^ b);
    z = mix(z ^ (feature << 20));
    z = mix(z ^ (t << 40));
    double u = (z >>> 11) * 0x1.0p-53;
    return u < retain ? (float) (1.0 / retain) : 0f;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** The mask for an input of this shape, c order. */
  public INDArray mask(long[] shape) {
    float[] values;
    if (shape.length == 3) {
      values = new float[Math.toIntExact(shape[0] * shape[1] * shape[2])];
      int i = 0;
      for (long b = 0; b < shape[0]; b++) {
        for (long f = 0; f < shape[1]; f++) {
          for (long t = 0; t < shape[2]; t++) {
            values[i++] = maskAt(b, f, t);
          }
        }
      }
    } else if (shape.length == 2 && shape[0] % batch == 0) {
      values = new float[Math.toIntExact(shape[0] * shape[1])];
      int i = 0;
      for (long row = 0; row < shape[0]; row++) {
        for (long f = 0; f < shape[1]; f++) {
          values[i++] = maskAt(row % batch, f, row / batch);
        }
      }
    } else {
      throw new IllegalArgumentException(
          "FixedMaskDropout reads [batch, features, time] or [batch x time, features] inputs with"
              + " batch "
              + batch
              + ", got shape "
              + java.util.Arrays.toString(shape));
    }
    return Nd4j.create(values, shape, 'c');
  }

  @Override
  public INDArray applyDropout(
      INDArray inputActivations,
      INDArray resultArray,
      int iteration,
      int epoch,
      LayerWorkspaceMgr workspaceMgr) {
    applied++;
    // Outside DL4J's workspaces: the mask must outlive the forward pass's workspace for backprop.
    try (MemoryWorkspace detached = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      mask = mask(inputActivations.shape()).castTo(inputActivations.dataType());
    }
    if (resultArray != inputActivations) {
      resultArray.assign(inputActivations);
    }
    return resultArray.muli(mask);
  }

  @Override
  public INDArray backprop(INDArray gradAtOutput, INDArray gradAtInput, int iteration, int epoch) {
    if (mask == null || !java.util.Arrays.equals(mask.shape(), gradAtOutput.shape())) {
      throw new IllegalStateException(
          "backprop of shape "
              + java.util.Arrays.toString(gradAtOutput.shape())
              + " without a forward mask of that shape");
    }
    backpropagated++;
    if (gradAtInput != gradAtOutput) {
      gradAtInput.assign(gradAtOutput);
    }
    return gradAtInput.muli(mask);
  }

  @Override
  public void clear() {
    mask = null;
  }

  @Override
  public FixedMaskDropout clone() {
    return new FixedMaskDropout(retain, seed, batch, step);
  }

  /** How many times a forward pass applied a mask. */
  public int applied() {
    return applied;
  }

  /** How many times a backward pass multiplied a gradient by the mask. */
  public int backpropagated() {
    return backpropagated;
  }

  /** The fraction of inputs this dropout keeps. */
  public double retain() {
    return retain;
  }
}
