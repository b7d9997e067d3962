package io.charstream.model.training;

import io.charstream.model.CheckpointFormatException;
import io.charstream.model.Tensor;
import java.util.HashMap;
import java.util.Map;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.api.layers.RecurrentLayer;
import org.deeplearning4j.nn.layers.recurrent.LSTM;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.MultiLayerUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One training step on a DL4J network that keeps the LSTM state across steps.
 *
 * <p>{@code MultiLayerNetwork.fit()} clears the RNN state at its start and end, so this does what
 * fit's truncated-BPTT loop does for one segment, minus the clearing: forward from the stored state
 * and backward (computeGradientAndScore, which with TruncatedBPTT configured starts from the stored
 * state and records the last one), a global gradient-norm clip, the Adam updater, the parameter
 * update (the last three fused into two passes on two threads by {@link FusedAdam} where it
 * reproduces DL4J's updater), and finally the recorded last state becomes the stored state for the
 * next step.
 *
 * <p>Scale: DL4J's score is the summed cross entropy divided by the number of sequences, and its
 * raw gradient (before the updater) is the gradient of the summed cross entropy. The reference's
 * PyTorch loss is the mean over all batch x seqLen characters; its clip threshold applies to the
 * gradient of that mean. So the norm is divided by batch x seqLen before it is compared with
 * clipNorm, and the updater is told the "minibatch" has batch x seqLen examples so that it divides
 * by that count.
 */
final class TrainingStep {

  private final MultiLayerNetwork net;
  private final int batchSize;
  private final int seqLen;
  private final double clipNorm;
  private final LayerWorkspaceMgr workspaceMgr = LayerWorkspaceMgr.noWorkspaces();
  private final boolean fusedUpdate;

  /** The fused update for the network's current updater (null: DL4J's path); see {@link #fused}. */
  private FusedAdam fused;

  /** The updater {@link #fused} was planned for (also when it could not be fused). */
  private Updater plannedFor;

  /** The norm of the last step's mean-loss gradient, before clipping. */
  private double lastGradientNorm;

  /** The factor {@link #clipGradient} found for the next {@link #applyUpdate} (1: no clipping). */
  private double clipFactor = 1.0;

  TrainingStep(MultiLayerNetwork net, int batchSize, int seqLen, double clipNorm) {
    this(net, batchSize, seqLen, clipNorm, true);
  }

  /**
   * @param fusedUpdate whether clipping and Adam may run fused ({@link FusedAdam}, where it
   *     reproduces DL4J's updater); false always runs DL4J's updater, the fused path's twin in
   *     tests
   */
  TrainingStep(
      MultiLayerNetwork net, int batchSize, int seqLen, double clipNorm, boolean fusedUpdate) {
    this.net = net;
    this.batchSize = batchSize;
    this.seqLen = seqLen;
    this.clipNorm = clipNorm;
    this.fusedUpdate = fusedUpdate;
  }

  MultiLayerNetwork network() {
    return net;
  }

  /**
   * Trains on one batch and returns its mean per-character cross entropy (nats), measured before
   * the update (as the reference logs it).
   *
   * @param features input ids, row-major [batch, time]
   * @param labels target ids, row-major [batch, time]
   * @param iteration Adam's step count before this step (0 for the first)
   * @param dropoutSeed seeds this step's dropout masks, so a resumed run draws the same masks
   * @param rateScale this step's learning rate over the updater's (1 = the configured rate)
   */
  double step(
      float[] features,
      float[] labels,
      long iteration,
      int epoch,
      long dropoutSeed,
      double rateScale) {
    double meanLoss = computeGradient(features, labels, dropoutSeed);
    clipGradient();
    applyUpdate(iteration, epoch, rateScale);
    return meanLoss;
  }

  /**
   * Forward from the stored state and backward; leaves the summed-loss gradient in the network's
   * flattened gradient view.
   *
   * @return the batch's mean per-character cross entropy
   */
  double computeGradient(float[] features, float[] labels, long dropoutSeed) {
    Nd4j.getRandom().setSeed(dropoutSeed);
    net.setInput(Nd4j.create(features, new long[] {batchSize, 1, seqLen}, 'c'));
    net.setLabels(Nd4j.create(labels, new long[] {batchSize, 1, seqLen}, 'c'));
    net.computeGradientAndScore();
    // score = summed cross entropy / batchSize
    return net.score() / seqLen;
  }

  /**
   * Measures the norm of the MEAN-loss gradient and finds the factor that scales it to at most
   * clipNorm; {@link #applyUpdate} applies it (the gradient view is left as it is).
   *
   * @return the factor (1: no clipping)
   */
  double clipGradient() {
    FusedAdam adam = fused();
    if (adam != null) {
      FusedAdam.Clip clip = adam.clip(charsPerBatch(), clipNorm);
      lastGradientNorm = clip.norm();
      clipFactor = clip.factor();
    } else {
      INDArray gradient = net.getFlattenedGradients();
      lastGradientNorm = gradient.norm2Number().doubleValue() / charsPerBatch();
      clipFactor = GlobalNormClip.factor(lastGradientNorm, clipNorm);
    }
    return clipFactor;
  }

  /**
   * The clipped gradient, Adam on the mean-loss gradient (the updater divides by batch x seqLen),
   * then params -= update. Adam's step is proportional to its learning rate, so scaling the step by
   * {@code rateScale} is Adam at {@code rateScale} times the configured rate, with its moment
   * estimates untouched. Fused into two passes where {@link FusedAdam} reproduces DL4J's updater;
   * else DL4J's updater, with the same results.
   */
  void applyUpdate(long iteration, int epoch, double rateScale) {
    FusedAdam adam = fused();
    if (adam != null) {
      adam.update(Math.toIntExact(iteration), epoch, clipFactor, charsPerBatch(), rateScale);
    } else {
      INDArray gradient = net.getFlattenedGradients();
      if (clipFactor != 1.0) {
        gradient.muli(clipFactor);
      }
      net.getUpdater()
          .update(
              net,
              net.gradient(),
              Math.toIntExact(iteration),
              epoch,
              charsPerBatch(),
              workspaceMgr);
      if (rateScale != 1.0) {
        gradient.muli(rateScale);
      }
      INDArray params = net.params();
      params.subi(gradient.reshape(params.shape()));
    }
    clipFactor = 1.0;
    net.setIterationCount(Math.toIntExact(iteration + 1));
    net.updateRnnStateWithTBPTTState();
    net.clearLayerMaskArrays();
  }

  /** The fused update for the network's current updater, or null for DL4J's path. */
  private FusedAdam fused() {
    if (!fusedUpdate) {
      return null;
    }
    Updater updater = net.getUpdater();
    if (net.getFlattenedGradients() == null) {
      return null; // no gradient yet (the first computeGradient makes the view): ask again then
    }
    if (updater != plannedFor || (fused != null && !fused.isCurrent())) {
      fused = FusedAdam.plan(net);
      plannedFor = updater;
    }
    return fused;
  }

  /** Whether clipping and the update run fused for the current updater (tests check their path). */
  boolean usesFusedUpdate() {
    return fused() != null;
  }

  int charsPerBatch() {
    return batchSize * seqLen;
  }

  double lastGradientNorm() {
    return lastGradientNorm;
  }

  /**
   * The carried LSTM state: per LSTM layer (1..n), h then c, each [batch, H]. The forward pass from
   * stored state reads the layers' TBPTT state map (rnnSetPreviousState only feeds rnnTimeStep), so
   * that map is what is saved and restored.
   */
  Map<String, Tensor> rnnState() {
    Map<String, Tensor> out = new HashMap<>();
    for (int layer = 1; layer < net.getnLayers() - 1; layer++) {
      Map<String, INDArray> state = recurrent(layer).rnnGetTBPTTState();
      if (state == null || state.isEmpty()) {
        continue;
      }
      String h = "state." + layer + ".h";
      String c = "state." + layer + ".c";
      out.put(h, CharRnnNetwork.toTensor(h, state.get(LSTM.STATE_KEY_PREV_ACTIVATION)));
      out.put(c, CharRnnNetwork.toTensor(c, state.get(LSTM.STATE_KEY_PREV_MEMCELL)));
    }
    return out;
  }

  void setRnnState(Map<String, Tensor> arrays) {
    net.rnnClearPreviousState();
    for (int layer = 1; layer < net.getnLayers() - 1; layer++) {
      Tensor h = arrays.get("state." + layer + ".h");
      Tensor c = arrays.get("state." + layer + ".c");
      if (h == null || c == null) {
        continue;
      }
      Map<String, INDArray> state = new HashMap<>();
      state.put(
          LSTM.STATE_KEY_PREV_ACTIVATION,
          Nd4j.create(h.data(), toLong(h.shape()), 'c').castTo(DataType.FLOAT));
      state.put(
          LSTM.STATE_KEY_PREV_MEMCELL,
          Nd4j.create(c.data(), toLong(c.shape()), 'c').castTo(DataType.FLOAT));
      recurrent(layer).rnnSetTBPTTState(state);
      net.rnnSetPreviousState(layer, state);
    }
  }

  /** Adam's state in DL4J's updater layout, [2 * params]. */
  Tensor optimizerState() {
    INDArray view = net.getUpdater().getStateViewArray();
    return CharRnnNetwork.toTensor("adam.state", view.reshape(view.length()));
  }

  void setOptimizerState(Tensor state) {
    long expected = net.getUpdater().getStateViewArray().length();
    if (expected != state.size()) {
      throw new CheckpointFormatException(
          "optimizer state has "
              + state.size()
              + " values but the network's"
              + " Adam state has "
              + expected
              + ": the checkpoint does not belong to this model config");
    }
    // A new updater built around the restored array: assigning into the current updater's view
    // would
    // be undone, because DL4J zeroes a fresh updater's state on its first update.
    net.initGradientsView();
    net.setUpdater(
        new MultiLayerUpdater(net, Nd4j.create(state.data(), new long[] {state.size()}, 'c')));
  }

  private RecurrentLayer recurrent(int layer) {
    return (RecurrentLayer) net.getLayer(layer);
  }

  private static long[] toLong(int[] shape) {
    long[] out = new long[shape.length];
    for (int i = 0; i < shape.length; i++) {
      out[i] = shape[i];
    }
    return out;
  }
}
