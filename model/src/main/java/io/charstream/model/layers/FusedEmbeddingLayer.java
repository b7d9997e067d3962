package io.charstream.model.layers;

import io.charstream.model.kernel.Layouts;
import io.charstream.model.kernel.Pointers;
import java.util.Arrays;
import org.deeplearning4j.exception.DL4JInvalidInputException;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.feedforward.embedding.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's embedding-sequence layer for the case the engine uses (no bias, identity activation, ids
 * [mb, 1, T] or [mb, T], NCW output), done in Java: the forward pass gathers the rows of W into the
 * steps-major layout ({@link Layouts}) the fused LSTM reads in place, the backward pass adds the
 * incoming gradient rows into W's gradient by id (or, when the fused LSTM above folded the
 * embedding into its input projection, takes W's gradient from it: {@link EmbeddingLookup}). Same
 * parameters and gradients as the stock layer; anything else (bias, other activations, masks,
 * weight noise, dropout, NWC) goes to the stock code.
 */
public class FusedEmbeddingLayer extends EmbeddingSequenceLayer {

  private int[] ids = new int[0];
  private float[] idValues = new float[0];
  private float[] weights = new float[0];
  private float[] rows = new float[0];

  /** The last forward pass, as handed to the fused LSTM above ({@link EmbeddingLookup}). */
  private EmbeddingLookup lookup;

  public FusedEmbeddingLayer(NeuralNetConfiguration conf, DataType dataType) {
    super(conf, dataType);
  }

  boolean fusable() {
    var conf = layerConf();
    return maskArray == null
        && input != null
        && (input.rank() == 2 || (input.rank() == 3 && input.size(1) == 1))
        && dataType == DataType.FLOAT
        && !conf.hasBias()
        && conf.getActivationFn() instanceof ActivationIdentity
        && conf.getOutputFormat() == RNNFormat.NCW
        && conf.getWeightNoise() == null
        && conf.getIDropout() == null;
  }

  @Override
  public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
    if (!fusable()) {
      return super.activate(training, workspaceMgr);
    }
    assertInputSet(false);
    int vocab = Math.toIntExact(layerConf().getNIn());
    int width = Math.toIntExact(layerConf().getNOut());
    int batch = Math.toIntExact(input.size(0));
    int steps = Math.toIntExact(input.size(input.rank() - 1));
    readIds(batch, steps, vocab);
    int n = batch * steps * width;
    if (weights.length < vocab * width) {
      weights = new float[vocab * width];
    }
    if (rows.length < n) {
      rows = new float[n];
    }
    // W is column-major [vocab, width]: W[id, j] at id + vocab * j.
    Pointers.ofColumnMajor(getParam(DefaultParamInitializer.WEIGHT_KEY), vocab, width)
        .get(weights, 0, vocab * width);
    for (int r = 0; r < batch * steps; r++) {
      int id = ids[r];
      int base = r * width;
      for (int j = 0; j < width; j++) {
        rows[base + j] = weights[id + vocab * j];
      }
    }
    INDArray out = Layouts.stepsMajor(workspaceMgr, ArrayType.ACTIVATIONS, batch, width, steps);
    Pointers.of(out).put(rows, 0, n);
    float[] embedding = new float[vocab * width];
    for (int id = 0; id < vocab; id++) {
      for (int j = 0; j < width; j++) {
        embedding[id * width + j] = weights[id + vocab * j];
      }
    }
    lookup =
        EmbeddingLookup.publish(out, Arrays.copyOf(ids, batch * steps), embedding, vocab, width);
    return out;
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(
      INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
    if (!fusable()) {
      return super.backpropGradient(epsilon, workspaceMgr);
    }
    assertInputSet(true);
    int vocab = Math.toIntExact(layerConf().getNIn());
    int width = Math.toIntExact(layerConf().getNOut());
    int batch = Math.toIntExact(input.size(0));
    int steps = Math.toIntExact(input.size(input.rank() - 1));
    Layouts.checkEpsilon(epsilon, batch, width, steps);
    if (weights.length < vocab * width) {
      weights = new float[vocab * width];
    }
    float[] folded = lookup == null ? null : lookup.takeGradient(epsilon);
    if (folded != null) {
      // The fused LSTM above summed the gradient by id already (row-major [vocab][width]).
      for (int id = 0; id < vocab; id++) {
        for (int j = 0; j < width; j++) {
          weights[id + vocab * j] = folded[id * width + j];
        }
      }
    } else {
      readIds(batch, steps, vocab);
      int n = batch * steps * width;
      if (rows.length < n) {
        rows = new float[n];
      }
      Pointers.of(Layouts.stepsMajor(epsilon, workspaceMgr, ArrayType.BP_WORKING_MEM))
          .get(rows, 0, n);
      Arrays.fill(weights, 0, vocab * width, 0f);
      for (int r = 0; r < batch * steps; r++) {
        int id = ids[r];
        int base = r * width;
        for (int j = 0; j < width; j++) {
          weights[id + vocab * j] += rows[base + j];
        }
      }
    }
    INDArray gW = gradientViews.get(DefaultParamInitializer.WEIGHT_KEY);
    Pointers.ofColumnMajor(gW, vocab, width).put(weights, 0, vocab * width);
    Gradient gradient = new DefaultGradient();
    gradient.gradientForVariable().put(DefaultParamInitializer.WEIGHT_KEY, gW);
    return new Pair<>(gradient, null);
  }

  /** The ids of the input, in row order (t, b) = t * mb + b. */
  private void readIds(int batch, int steps, int vocab) {
    int n = batch * steps;
    if (ids.length < n) {
      ids = new int[n];
      idValues = new float[n];
    }
    INDArray dense =
        input.ordering() == 'c'
                && input.elementWiseStride() == 1
                && input.dataType() == DataType.FLOAT
            ? input
            : input.castTo(DataType.FLOAT).dup('c');
    Pointers.of(dense).get(idValues, 0, n);
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < steps; t++) {
        float v = idValues[b * steps + t];
        int id = (int) v;
        if (id != v || id < 0 || id >= vocab) {
          throw new DL4JInvalidInputException(
              "input "
                  + v
                  + " at example "
                  + b
                  + ", step "
                  + t
                  + " is not an id in [0, "
                  + vocab
                  + ") of embedding layer "
                  + layerId());
        }
        ids[t * batch + b] = id;
      }
    }
  }
}
