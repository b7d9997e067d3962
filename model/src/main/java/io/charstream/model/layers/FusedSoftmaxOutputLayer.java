package io.charstream.model.layers;

import io.charstream.model.kernel.FusedRuntime;
import io.charstream.model.kernel.NativeBuffer;
import io.charstream.model.kernel.ParallelGemm;
import io.charstream.model.kernel.Pointers;
import io.charstream.model.kernel.Sequence;
import io.charstream.model.kernel.SoftmaxKernels;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.recurrent.RnnOutputLayer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.impl.LossSparseMCXENT;

/**
 * DL4J's RNN output layer for the case the engine trains (softmax, sparse multi-class cross
 * entropy, labels [mb, 1, T] of class ids), with the training arithmetic done in few large
 * operations: one GEMM for the logits of every (step, row), one softmax op, the loss and its
 * gradient in one Java pass, and three GEMMs for the weight, bias and input gradients; the input is
 * read and the input gradient written in place (see {@link Sequence}), without the reshaping copies
 * the stock layer makes, and the forward pass is shared by the backward pass and the score, which
 * the stock layer computes twice.
 *
 * <p>Same parameters, same score (summed cross entropy over the minibatch size, softmax clipped at
 * the loss's epsilon as LossMCXENT does), same gradients (not divided by the minibatch size; the
 * updater does that). Anything else (masks, weighted or other losses, dropout, weight noise,
 * regularization, NWC data, another data type) goes to the stock implementation it extends, as does
 * inference ({@code activate}).
 */
public class FusedSoftmaxOutputLayer extends RnnOutputLayer {

  private NativeBuffer logits;
  private NativeBuffer ones;
  private INDArray logitsArray;
  private float[] probabilities = new float[0];
  private float[] logitValues = new float[0];
  private double[] rowLoss = new double[0];
  private int[] labelIds = new int[0];
  private float[] labelValues = new float[0];

  private INDArray scoredInput;
  private INDArray scoredLabels;
  private double scoredLossSum;

  public FusedSoftmaxOutputLayer(NeuralNetConfiguration conf, DataType dataType) {
    super(conf, dataType);
  }

  /** Whether this layer's configuration and current input/labels take the fused path. */
  boolean fusable() {
    var conf = layerConf();
    return maskArray == null
        && input != null
        && input.rank() == 3
        && labels != null
        && labels.rank() == 3
        && labels.size(1) == 1
        && dataType == DataType.FLOAT
        && conf.getLossFn() instanceof LossSparseMCXENT loss
        && loss.getWeights() == null
        && conf.getActivationFn() instanceof ActivationSoftmax
        && conf.getRnnDataFormat() == RNNFormat.NCW
        && conf.getIDropout() == null
        && conf.getWeightNoise() == null
        && conf.getRegularization().isEmpty()
        && conf.getRegularizationBias().isEmpty()
        && conf.hasBias();
  }

  @Override
  public double computeScore(
      double fullNetRegTerm, boolean training, LayerWorkspaceMgr workspaceMgr) {
    if (!fusable()) {
      return super.computeScore(fullNetRegTerm, training, workspaceMgr);
    }
    if (scoredInput != input || scoredLabels != labels) {
      forward(workspaceMgr, false);
    }
    score = scoredLossSum / input.size(0) + fullNetRegTerm;
    return score;
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(
      INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
    if (!fusable()) {
      return super.backpropGradient(epsilon, workspaceMgr);
    }
    assertInputSet(true);
    Sequence in = forward(workspaceMgr, true);
    int batch = Math.toIntExact(input.size(0));
    int nIn = Math.toIntExact(input.size(1));
    int steps = Math.toIntExact(input.size(2));
    int vocab = Math.toIntExact(layerConf().getNOut());
    int rows = steps * batch;
    INDArray gW = gradientViews.get(DefaultParamInitializer.WEIGHT_KEY);
    INDArray gB = gradientViews.get(DefaultParamInitializer.BIAS_KEY);
    // dW^T [V][nIn] = delta^T x (W is column-major [nIn, V]); db = 1^T delta; dx = delta W^T.
    long gradW = Pointers.address(Pointers.ofColumnMajor(gW, nIn, vocab));
    long delta = Pointers.address(logits.at(0));
    INDArray epsOut =
        workspaceMgr
            .createUninitialized(
                ArrayType.ACTIVATION_GRAD, DataType.FLOAT, new long[] {steps, batch, nIn}, 'c')
            .permute(1, 2, 0);
    List<ParallelGemm.Job> jobs = new ArrayList<>();
    if (uniformRows(in, batch)) {
      jobs.add(
          new ParallelGemm.Job(
              true,
              false,
              vocab,
              nIn,
              rows,
              delta,
              vocab,
              in.base(),
              in.leadingDimension(),
              0f,
              gradW,
              nIn));
    } else {
      for (int t = 0; t < steps; t++) {
        jobs.add(
            new ParallelGemm.Job(
                true,
                in.transposed(),
                vocab,
                nIn,
                batch,
                delta + 4L * t * batch * vocab,
                vocab,
                Pointers.address(in.at(t, 0)),
                in.leadingDimension(),
                t == 0 ? 0f : 1f,
                gradW,
                nIn));
      }
    }
    jobs.add(
        new ParallelGemm.Job(
            false,
            false,
            1,
            vocab,
            rows,
            Pointers.address(ones.at(0)),
            rows,
            delta,
            vocab,
            0f,
            Pointers.address(Pointers.ofVector(gB, vocab)),
            vocab));
    jobs.add(
        new ParallelGemm.Job(
            false,
            false,
            rows,
            nIn,
            vocab,
            delta,
            vocab,
            weights(nIn, vocab),
            nIn,
            0f,
            Pointers.address(epsOut),
            nIn));
    ParallelGemm.run(jobs, FusedRuntime.threads());
    Gradient gradient = new DefaultGradient();
    gradient.gradientForVariable().put(DefaultParamInitializer.WEIGHT_KEY, gW);
    gradient.gradientForVariable().put(DefaultParamInitializer.BIAS_KEY, gB);
    weightNoiseParams.clear();
    return new Pair<>(gradient, epsOut);
  }

  /**
   * Logits, softmax and the summed loss of the current input and labels; with {@code delta}, leaves
   * the loss gradient w.r.t. the logits (softmax - one-hot), rows (t, b), in the logits buffer.
   *
   * @return the input's layout
   */
  private Sequence forward(LayerWorkspaceMgr workspaceMgr, boolean delta) {
    int batch = Math.toIntExact(input.size(0));
    int nIn = Math.toIntExact(input.size(1));
    int steps = Math.toIntExact(input.size(2));
    int vocab = Math.toIntExact(layerConf().getNOut());
    if (nIn != layerConf().getNIn() || labels.size(0) != batch || labels.size(2) != steps) {
      throw new IllegalArgumentException(
          "input "
              + java.util.Arrays.toString(input.shape())
              + " and labels "
              + java.util.Arrays.toString(labels.shape())
              + " do not fit a layer of nIn "
              + layerConf().getNIn());
    }
    int rows = steps * batch;
    ensureCapacity(rows, vocab);
    Sequence in = Sequence.of(input);
    if (in == null) {
      INDArray copy =
          workspaceMgr
              .createUninitialized(
                  ArrayType.INPUT, DataType.FLOAT, new long[] {steps, batch, nIn}, 'c')
              .permute(1, 2, 0);
      copy.assign(input);
      in = Sequence.of(copy);
      input = copy;
    }
    // logits = 1 b + x W, rows (t, b).
    long w = weights(nIn, vocab);
    long out = Pointers.address(logits.at(0));
    List<ParallelGemm.Job> jobs = new ArrayList<>();
    jobs.add(
        new ParallelGemm.Job(
            false,
            false,
            rows,
            vocab,
            1,
            Pointers.address(ones.at(0)),
            1,
            Pointers.address(Pointers.ofVector(getParam(DefaultParamInitializer.BIAS_KEY), vocab)),
            vocab,
            0f,
            out,
            vocab));
    if (uniformRows(in, batch)) {
      jobs.add(
          new ParallelGemm.Job(
              false,
              true,
              rows,
              vocab,
              nIn,
              in.base(),
              in.leadingDimension(),
              w,
              nIn,
              1f,
              out,
              vocab));
    } else {
      // Per-step bands would not line up with the bias bands: finish the bias first.
      ParallelGemm.run(jobs, FusedRuntime.threads());
      jobs.clear();
      for (int t = 0; t < steps; t++) {
        jobs.add(
            new ParallelGemm.Job(
                in.transposed(),
                true,
                batch,
                vocab,
                nIn,
                Pointers.address(in.at(t, 0)),
                in.leadingDimension(),
                w,
                nIn,
                1f,
                out + 4L * t * batch * vocab,
                vocab));
      }
    }
    ParallelGemm.run(jobs, FusedRuntime.threads());
    readLabels(batch, steps, vocab);
    // LossMCXENT clips the softmax output from below at its epsilon (in float) before the log.
    float clip = (float) ((LossSparseMCXENT) layerConf().getLossFn()).getSoftmaxClipEps();
    if (FusedRuntime.vectorKernels()) {
      scoredLossSum = softmaxInJava(rows, vocab, clip, delta);
      scoredInput = input;
      scoredLabels = labels;
      return in;
    }
    INDArray probs =
        logitsArray.get(NDArrayIndex.interval(0, (long) rows * vocab)).reshape('c', rows, vocab);
    Nd4j.exec(new SoftMax(probs, probs, 1));
    logits.read(0, probabilities, rows * vocab);
    double lossSum = 0;
    for (int r = 0; r < rows; r++) {
      int at = r * vocab + labelIds[r];
      lossSum -= Math.log(Math.max(probabilities[at], clip));
      if (delta) {
        probabilities[at] -= 1f;
      }
    }
    if (delta) {
      logits.write(0, probabilities, rows * vocab);
    }
    scoredInput = input;
    scoredLabels = labels;
    scoredLossSum = lossSum;
    return in;
  }

  /**
   * Softmax, loss and (with delta) the loss gradient in {@link SoftmaxKernels}, the rows split over
   * the fused threads; the row losses are summed in row order, so the score does not depend on the
   * split. ND4J's op ran on one thread while the other idled, plus two copies of the logits.
   */
  private double softmaxInJava(int rows, int vocab, float clip, boolean delta) {
    int n = rows * vocab;
    if (logitValues.length < n + SoftmaxKernels.PADDING) {
      logitValues = new float[n + SoftmaxKernels.PADDING];
      rowLoss = new double[rows];
    }
    if (rowLoss.length < rows) {
      rowLoss = new double[rows];
    }
    logits.read(0, logitValues, n);
    int threads = Math.max(1, Math.min(FusedRuntime.threads(), rows / 64));
    Runnable[] tasks = new Runnable[threads];
    for (int s = 0; s < threads; s++) {
      int from = rows * s / threads;
      int to = rows * (s + 1) / threads;
      tasks[s] =
          () ->
              SoftmaxKernels.softmaxCrossEntropy(
                  logitValues, probabilities, labelIds, rowLoss, from, to, vocab, clip, delta);
    }
    FusedRuntime.runAll(tasks);
    double lossSum = 0;
    for (int r = 0; r < rows; r++) {
      lossSum += rowLoss[r];
    }
    if (delta) {
      logits.write(0, probabilities, n);
    }
    return lossSum;
  }

  /** The address of W, column-major [nIn, V]: row-major W^T [V][nIn]. */
  private long weights(int nIn, int vocab) {
    return Pointers.address(
        Pointers.ofColumnMajor(getParam(DefaultParamInitializer.WEIGHT_KEY), nIn, vocab));
  }

  /** Whether the rows (t, b) of the input are one BLAS matrix: row t * mb + b at a fixed stride. */
  private static boolean uniformRows(Sequence in, int batch) {
    return !in.transposed() && in.time() == (long) batch * in.batch();
  }

  /** Class ids of the labels [mb, 1, T], in row order (t, b). */
  private void readLabels(int batch, int steps, int vocab) {
    int rows = batch * steps;
    if (labelValues.length < rows) {
      labelValues = new float[rows];
      labelIds = new int[rows];
    }
    INDArray dense =
        labels.ordering() == 'c' && labels.elementWiseStride() == 1 ? labels : labels.dup('c');
    Pointers.of(dense.castTo(DataType.FLOAT)).get(labelValues, 0, rows);
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < steps; t++) {
        int id = (int) labelValues[b * steps + t];
        if (id < 0 || id >= vocab || id != labelValues[b * steps + t]) {
          throw new IllegalArgumentException(
              "label "
                  + labelValues[b * steps + t]
                  + " at example "
                  + b
                  + ", step "
                  + t
                  + " is not a class id in [0, "
                  + vocab
                  + ")");
        }
        labelIds[t * batch + b] = id;
      }
    }
  }

  private void ensureCapacity(int rows, int vocab) {
    if (logits == null || logits.capacity() < (long) rows * vocab) {
      logits = new NativeBuffer((long) rows * vocab);
      logitsArray = logits.view(0, logits.capacity());
      probabilities = new float[rows * vocab];
    }
    if (ones == null || ones.capacity() < rows) {
      ones = new NativeBuffer(rows);
      float[] one = new float[rows];
      java.util.Arrays.fill(one, 1f);
      ones.write(0, one, rows);
    }
  }
}
