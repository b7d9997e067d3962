package io.charstream.model.layers;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.api.layers.RecurrentLayer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A stock network whose gradient differentiates the forward pass that starts from the carried LSTM
 * state: the oracle for training with state carried across batches.
 *
 * <p>Why not {@code computeGradientAndScore}: in DL4J 1.0.0-M2.1 it runs the forward pass from the
 * stored (TBPTT) state but then calls each layer's {@code backpropGradient}, and the stock LSTM's
 * backpropGradient recomputes its forward pass from a zero state, so the gradient belongs to
 * another forward pass than the loss. (Its {@code calcBackpropGradients(..., tbptt = true, ...)}
 * fails on the output layer.) The stock LSTM's {@code tbpttBackpropGradient} recomputes from the
 * {@code rnnTimeStep} state, which holds the carried state when the caller copies it there after
 * every step ({@code updateRnnStateWithTBPTTState()}); this network walks the layers backwards with
 * it.
 */
public final class TbpttOracleNetwork extends MultiLayerNetwork {

  public TbpttOracleNetwork(MultiLayerConfiguration conf) {
    super(withoutWorkspaces(conf));
  }

  private static MultiLayerConfiguration withoutWorkspaces(MultiLayerConfiguration conf) {
    MultiLayerConfiguration copy = conf.clone();
    copy.setTrainingWorkspaceMode(WorkspaceMode.NONE);
    copy.setInferenceWorkspaceMode(WorkspaceMode.NONE);
    return copy;
  }

  /**
   * What the engine's {@code TrainingStep} calls: here {@link
   * #computeGradientAndScoreFromStoredState} on the input and labels it set, so that the oracle
   * runs through the engine's training step too.
   */
  @Override
  public void computeGradientAndScore() {
    computeGradientAndScoreFromStoredState(getInput(), getLabels());
  }

  /**
   * Forward from the stored state (keeping the last state), truncated-BPTT backward, score. The
   * forward pass stops below the output layer, as {@code MultiLayerNetwork.computeGradientAndScore}
   * does: activating the output layer too would apply its dropout, in place, to the LSTM output
   * that its backward pass then reads and drops again.
   */
  public void computeGradientAndScoreFromStoredState(INDArray features, INDArray labels) {
    LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();
    if (getFlattenedGradients() == null) {
      initGradientsView();
    }
    setInput(features);
    setLabels(labels);
    Layer[] all = getLayers();
    int batch = Math.toIntExact(features.size(0));
    INDArray current = features;
    for (int i = 0; i < all.length - 1; i++) {
      current = preProcess(i, current, batch, ws);
      current =
          all[i] instanceof RecurrentLayer r
              ? r.rnnActivateUsingStoredState(current, true, true, ws)
              : all[i].activate(current, true, ws);
    }
    IOutputLayer output = (IOutputLayer) all[all.length - 1];
    output.setInput(preProcess(all.length - 1, current, batch, ws), ws);
    output.setLabels(labels);
    Pair<Gradient, INDArray> backward = output.backpropGradient(null, ws);
    DefaultGradient total = new DefaultGradient(getFlattenedGradients());
    collect(total, all.length - 1, backward.getFirst());
    for (int i = all.length - 2; i >= 0; i--) {
      INDArray epsilon = backward.getSecond();
      InputPreProcessor pre = getLayerWiseConfigurations().getInputPreProcess(i + 1);
      if (pre != null) {
        epsilon = pre.backprop(epsilon, batch, ws);
      }
      backward =
          all[i] instanceof RecurrentLayer r
              ? r.tbpttBackpropGradient(
                  epsilon, getLayerWiseConfigurations().getTbpttBackLength(), ws)
              : all[i].backpropGradient(epsilon, ws);
      collect(total, i, backward.getFirst());
    }
    setGradient(total);
    score = output.computeScore(calcRegularizationScore(true), true, ws);
  }

  private INDArray preProcess(int layer, INDArray input, int batch, LayerWorkspaceMgr ws) {
    InputPreProcessor pre = getLayerWiseConfigurations().getInputPreProcess(layer);
    return pre == null ? input : pre.preProcess(input, batch, ws);
  }

  private static void collect(DefaultGradient total, int layer, Gradient g) {
    for (var e : g.gradientForVariable().entrySet()) {
      total.setGradientFor(
          layer + "_" + e.getKey(), e.getValue(), g.flatteningOrderForVariable(e.getKey()));
    }
  }
}
