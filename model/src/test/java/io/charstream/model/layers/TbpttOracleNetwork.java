package io.charstream.model.layers;

import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.api.layers.RecurrentLayer;
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
final class TbpttOracleNetwork extends MultiLayerNetwork {

  TbpttOracleNetwork(MultiLayerConfiguration conf) {
    super(withoutWorkspaces(conf));
  }

  private static MultiLayerConfiguration withoutWorkspaces(MultiLayerConfiguration conf) {
    MultiLayerConfiguration copy = conf.clone();
    copy.setTrainingWorkspaceMode(WorkspaceMode.NONE);
    copy.setInferenceWorkspaceMode(WorkspaceMode.NONE);
    return copy;
  }

  /** Forward from the stored state (keeping the last state), truncated-BPTT backward, score. */
  void computeGradientAndScoreFromStoredState(INDArray features, INDArray labels) {
    LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();
    if (getFlattenedGradients() == null) {
      initGradientsView();
    }
    setInput(features);
    setLabels(labels);
    List<INDArray> activations = rnnActivateUsingStoredState(features, true, true);
    Layer[] all = getLayers();
    IOutputLayer output = (IOutputLayer) all[all.length - 1];
    output.setInput(activations.get(all.length - 1), ws);
    output.setLabels(labels);
    Pair<Gradient, INDArray> current = output.backpropGradient(null, ws);
    DefaultGradient total = new DefaultGradient(getFlattenedGradients());
    collect(total, all.length - 1, current.getFirst());
    for (int i = all.length - 2; i >= 0; i--) {
      current =
          all[i] instanceof RecurrentLayer r
              ? r.tbpttBackpropGradient(
                  current.getSecond(), getLayerWiseConfigurations().getTbpttBackLength(), ws)
              : all[i].backpropGradient(current.getSecond(), ws);
      collect(total, i, current.getFirst());
    }
    setGradient(total);
    score = output.computeScore(calcRegularizationScore(true), true, ws);
  }

  private static void collect(DefaultGradient total, int layer, Gradient g) {
    for (var e : g.gradientForVariable().entrySet()) {
      total.setGradientFor(
          layer + "_" + e.getKey(), e.getValue(), g.flatteningOrderForVariable(e.getKey()));
    }
  }
}
