package io.charstream.model.training;

import io.charstream.model.kernel.AdamKernels;
import io.charstream.model.kernel.AdamVectorKernels;
import io.charstream.model.kernel.FusedRuntime;
import io.charstream.model.kernel.Pointers;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.BaseMultiLayerUpdater;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.AdamUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * Global-norm clipping, Adam and the parameter update of one training step in two passes over the
 * flat gradient, the flat parameters and DL4J's Adam state view, each pass split over {@link
 * FusedRuntime}'s threads. It replaces what {@link TrainingStep}'s DL4J path does in six serial
 * passes (ND4J's norm2, the clip's multiply, the updater's division by the minibatch size, the
 * native adam_updater, the rate scale's multiply, params -= update) with the same arithmetic: the
 * parameters and the Adam state come out bit for bit as DL4J's (FusedAdamTest; {@link AdamKernels}
 * says which native builds), and the state stays in DL4J's view array, in DL4J's layout, so
 * checkpoints and resumed runs are unchanged.
 *
 * <p>The norm: pass one sums the squares in double precision, in fixed chunks (the result does not
 * depend on the thread count). DL4J sums them as one float32 chain, whose relative error at n terms
 * is at most gamma_n = n u / (1 - n u) (u = 2^-24; 1.4% at 229,794 parameters, typically 1e-4).
 * Where even that error could not lift DL4J's norm above the clip threshold, DL4J would not clip
 * and neither does this; otherwise (the step clips, or nearly does) the float32 chain runs here
 * too, serially, so that the clip factor is DL4J's to the bit. The norm reported is DL4J's where
 * the chain ran and the double-precision one elsewhere.
 *
 * <p>Only for what it reproduces: a {@link BaseMultiLayerUpdater} whose blocks all run DL4J's
 * {@link AdamUpdater} in float32, without regularization, gradient normalization, pretrain-only
 * blocks or parameters exempt from the minibatch division, on dense arrays. {@link #plan} returns
 * null otherwise, and the step runs DL4J's updater.
 *
 * <p>Bound to one updater and its arrays ({@link #isCurrent}): a new updater (a restored optimizer
 * state) or new views need a new plan. Not thread-safe: owned by the training thread.
 */
final class FusedAdam {

  /** Pass one's unit: its partial sums are added in this order whatever the slices. */
  static final int CHUNK = 4096;

  /** Fewer parameters than this per thread run on one thread. */
  static final int MIN_PER_SLICE = 32_768;

  private final MultiLayerNetwork net;
  private final Updater updater;
  private final Floats grad;
  private final Floats params;
  private final Floats state;
  private final List<Block> blocks;
  private final boolean miniBatch;
  private final double[] partials;

  /** One DL4J updater block: parameters [from, to), m and v at their offsets in the state view. */
  private record Block(int from, int to, int mAt, int vAt, Adam config) {}

  private FusedAdam(
      MultiLayerNetwork net,
      Updater updater,
      Floats grad,
      Floats params,
      Floats state,
      List<Block> blocks,
      boolean miniBatch) {
    this.net = net;
    this.updater = updater;
    this.grad = grad;
    this.params = params;
    this.state = state;
    this.blocks = blocks;
    this.miniBatch = miniBatch;
    this.partials = new double[(params.length + CHUNK - 1) / CHUNK];
  }

  /**
   * The fused update for {@code net}'s current updater, or null where it would not reproduce DL4J's
   * (see the class comment). Initialises the updater's blocks as DL4J's first update would (a new
   * updater's state is zeroed then).
   */
  static FusedAdam plan(MultiLayerNetwork net) {
    Updater updater = net.getUpdater();
    if (!(updater instanceof BaseMultiLayerUpdater<?> multi)) {
      return null;
    }
    INDArray gradView = net.getFlattenedGradients();
    INDArray paramView = net.params();
    INDArray stateView = multi.getStateViewArray();
    if (!dense(gradView) || !dense(paramView) || !dense(stateView)) {
      return null;
    }
    int n = Math.toIntExact(paramView.length());
    if (gradView.length() != n || stateView.length() != 2L * n) {
      return null;
    }
    long stateAddress = Pointers.address(stateView);
    long gradAddress = Pointers.address(gradView);
    List<Block> blocks = new ArrayList<>();
    int covered = 0;
    for (UpdaterBlock block : multi.getUpdaterBlocks()) {
      if (block.isPretrainUpdaterBlock()
          || !(block.getGradientUpdater() instanceof AdamUpdater adam)
          || adam.getClass() != AdamUpdater.class
          || !plainParameters(block)) {
        return null;
      }
      int from = block.getParamOffsetStart();
      int to = block.getParamOffsetEnd();
      if (from != covered
          || to <= from
          || !dense(adam.getM())
          || !dense(adam.getV())
          || adam.getM().length() != to - from
          || adam.getV().length() != to - from
          || Pointers.address(block.getGradientView()) != gradAddress + 4L * from) {
        return null;
      }
      long mAt = (Pointers.address(adam.getM()) - stateAddress) / Float.BYTES;
      long vAt = (Pointers.address(adam.getV()) - stateAddress) / Float.BYTES;
      if (mAt < 0 || vAt < 0 || mAt + (to - from) > 2L * n || vAt + (to - from) > 2L * n) {
        return null;
      }
      blocks.add(new Block(from, to, (int) mAt, (int) vAt, adam.getConfig()));
      covered = to;
    }
    if (covered != n) {
      return null;
    }
    return new FusedAdam(
        net,
        updater,
        new Floats(gradView),
        new Floats(paramView),
        new Floats(stateView),
        List.copyOf(blocks),
        net.conf().isMiniBatch());
  }

  /** Whether this plan still describes {@code net}'s updater and arrays. */
  boolean isCurrent() {
    return net.getUpdater() == updater
        && net.getFlattenedGradients() == grad.array
        && net.params() == params.array
        && updater.getStateViewArray() == state.array;
  }

  /**
   * The global norm of the gradient divided by {@code divisor}, and the factor that clips it to
   * {@code maxNorm} ({@link GlobalNormClip#factor}), both as DL4J's path computes them wherever
   * clipping could happen.
   */
  Clip clip(int divisor, double maxNorm) {
    int slices = slices();
    int chunks = partials.length;
    boolean vector = FusedRuntime.vectorKernels();
    Runnable[] tasks = new Runnable[slices];
    for (int t = 0; t < slices; t++) {
      int first = chunks * t / slices;
      int last = chunks * (t + 1) / slices;
      tasks[t] =
          () -> {
            for (int c = first; c < last; c++) {
              int from = c * CHUNK;
              int to = Math.min(from + CHUNK, params.length);
              partials[c] =
                  vector
                      ? AdamVectorKernels.sumOfSquares(grad.bytes, from, to, grad.floats)
                      : AdamKernels.sumOfSquares(grad.floats, from, to);
            }
          };
    }
    FusedRuntime.runAll(tasks);
    double sum = 0;
    for (double p : partials) {
      sum += p;
    }
    double norm = Math.sqrt(sum) / divisor;
    if (maxNorm <= 0 || surelyBelow(sum, divisor, maxNorm)) {
      return new Clip(norm, 1.0);
    }
    float chain = AdamKernels.serialSumOfSquares(grad.floats, params.length);
    double dl4jNorm = (float) Math.sqrt(chain) / (double) divisor;
    return new Clip(dl4jNorm, GlobalNormClip.factor(dl4jNorm, maxNorm));
  }

  /** The norm (in maxNorm's units) and the factor the update applies to the raw gradient. */
  record Clip(double norm, double factor) {}

  /**
   * Whether DL4J's float32 norm of a gradient whose exact sum of squares is {@code sum} is at most
   * maxNorm whatever its rounding: its sum is at most sum (1 + gamma_n), its sqrt one rounding
   * more.
   */
  private boolean surelyBelow(double sum, int divisor, double maxNorm) {
    double nu = params.length * 0x1p-24;
    if (!(sum >= 0) || nu >= 0.5) {
      return false;
    }
    double gamma = nu / (1 - nu) + 1e-9;
    double upper = Math.sqrt(sum * (1 + gamma)) * (1 + 0x1p-22) / divisor;
    return upper <= maxNorm;
  }

  /**
   * Adam step {@code iteration} (0 for the first): clips by {@code clipFactor}, divides by {@code
   * divisor} (where DL4J's configuration divides by the minibatch), updates m and v in the state
   * view and subtracts the update, times {@code rateScale}, from the parameters.
   */
  void update(int iteration, int epoch, double clipFactor, int divisor, double rateScale) {
    int slices = slices();
    AdamKernels.Step[] steps = new AdamKernels.Step[blocks.size()];
    for (int b = 0; b < steps.length; b++) {
      Adam config = blocks.get(b).config();
      steps[b] =
          AdamKernels.Step.of(
              config.getLearningRate(iteration, epoch),
              config.getBeta1(),
              config.getBeta2(),
              config.getEpsilon(),
              iteration,
              clipFactor,
              miniBatch ? divisor : 1,
              rateScale);
    }
    boolean vector = FusedRuntime.vectorKernels();
    int chunks = partials.length;
    Runnable[] tasks = new Runnable[slices];
    for (int t = 0; t < slices; t++) {
      int from = Math.min(params.length, chunks * t / slices * CHUNK);
      int to = Math.min(params.length, chunks * (t + 1) / slices * CHUNK);
      tasks[t] = () -> updateRange(steps, from, to, vector);
    }
    FusedRuntime.runAll(tasks);
  }

  private void updateRange(AdamKernels.Step[] steps, int from, int to, boolean vector) {
    for (int b = 0; b < steps.length; b++) {
      Block block = blocks.get(b);
      int lo = Math.max(from, block.from());
      int hi = Math.min(to, block.to());
      if (lo >= hi) {
        continue;
      }
      int mAt = block.mAt() + lo - block.from();
      int vAt = block.vAt() + lo - block.from();
      if (vector) {
        AdamVectorKernels.update(
            steps[b],
            grad.bytes,
            params.bytes,
            lo,
            hi,
            state.bytes,
            mAt,
            vAt,
            grad.floats,
            params.floats,
            state.floats);
      } else {
        AdamKernels.update(steps[b], grad.floats, params.floats, lo, hi, state.floats, mAt, vAt);
      }
    }
  }

  private int slices() {
    return Math.max(1, Math.min(FusedRuntime.threads(), params.length / MIN_PER_SLICE));
  }

  /** No regularization, gradient normalization or exemption from the minibatch division. */
  private static boolean plainParameters(UpdaterBlock block) {
    for (UpdaterBlock.ParamState p : block.getLayersAndVariablesInBlock()) {
      Trainable layer = p.getLayer();
      List<Regularization> regularization =
          layer.getConfig().getRegularizationByParam(p.getParamName());
      GradientNormalization normalization = layer.getConfig().getGradientNormalization();
      if ((regularization != null && !regularization.isEmpty())
          || (normalization != null && normalization != GradientNormalization.None)
          || !layer.updaterDivideByMinibatch(p.getParamName())) {
        return false;
      }
    }
    return true;
  }

  private static boolean dense(INDArray a) {
    return a != null
        && a.dataType() == DataType.FLOAT
        && a.length() > 0
        && a.length() <= Integer.MAX_VALUE / Float.BYTES
        && (a.length() == 1 || a.elementWiseStride() == 1)
        && (a.rank() == 1 || a.isRowVector() || a.isColumnVector());
  }

  /** A dense float array of DL4J's, seen in place as Java buffers (it keeps the array alive). */
  private static final class Floats {
    final INDArray array;
    final int length;
    final ByteBuffer bytes;
    final FloatBuffer floats;

    Floats(INDArray array) {
      this.array = array;
      this.length = Math.toIntExact(array.length());
      BytePointer pointer = new BytePointer(Pointers.at(Pointers.address(array)));
      pointer.capacity(4L * length).limit(4L * length);
      this.bytes = pointer.asByteBuffer().order(ByteOrder.nativeOrder());
      if (bytes.capacity() != 4 * length) {
        throw new IllegalStateException(
            "a buffer of " + bytes.capacity() + " bytes over " + length + " floats");
      }
      this.floats = bytes.asFloatBuffer();
    }
  }
}
