package io.charstream.model.layers;

import io.charstream.model.kernel.FusedRuntime;
import io.charstream.model.kernel.GateMath;
import io.charstream.model.kernel.Layouts;
import io.charstream.model.kernel.LstmVectorKernels;
import io.charstream.model.kernel.NativeBuffer;
import io.charstream.model.kernel.ParallelGemm;
import io.charstream.model.kernel.Pointers;
import io.charstream.model.kernel.Sequence;
import io.charstream.model.kernel.VectorGemm;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.exception.DL4JInvalidInputException;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.recurrent.LSTM;
import org.deeplearning4j.nn.params.LSTMParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.TimeSeriesUtils;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's LSTM layer with the fused kernel ({@link LstmShard}) doing the arithmetic: same parameters
 * (DL4J's {@code W}, {@code RW}, {@code b} views, so the updater, gradient clipping and checkpoints
 * see no difference), same activations and gradients, same RNN state maps for {@code rnnTimeStep}
 * and truncated BPTT.
 *
 * <p>What it does not fuse it hands to the stock implementation it extends: masks, weight noise,
 * activations other than tanh/sigmoid, data types other than float, and NWC data.
 *
 * <p>Work per pass (see {@link LstmShard}): the input projection of all steps in one GEMM, the
 * recurrence per batch slice on {@link FusedRuntime#threads()} threads, and after the backward
 * recurrence the input-weight, recurrent-weight and input gradients of all steps in three GEMMs.
 * Reading a fused embedding's output, the layer folds the embedding into its input projection
 * ({@link EmbeddingLookup}): a vocab x 4H table and a gather forward, sums by id and two small
 * multiplies backward, in place of three GEMMs over every row. The layer's output and input
 * gradient are laid out [T][mb][features] (returned as [mb, features, T] views), which the next
 * fused layer reads in place; other layouts are copied once.
 *
 * <p>One deliberate difference from stock DL4J 1.0.0-M2.1, which matters for training with state
 * carried across batches: the stock layer does not differentiate the forward pass that produced the
 * loss. Its {@code backpropGradient} (what {@code MultiLayerNetwork.computeGradientAndScore} calls,
 * even with truncated BPTT configured) recomputes the forward pass from a zero state, and its
 * {@code tbpttBackpropGradient} from the {@code rnnTimeStep} state; so with a carried state the
 * stock gradient belongs to another forward pass than the loss. This layer differentiates the
 * forward pass it last ran on the current input (what PyTorch does with a carried, detached state);
 * only when none is kept does it recompute, from the state the stock layer would use.
 */
public class FusedLstmLayer extends LSTM {

  /** Below this many rows (batch x steps) per slice, another thread costs more than it saves. */
  static final int MIN_ROWS_PER_SLICE = 256;

  private LstmShard[] shards = new LstmShard[0];

  /** The (post-dropout) input whose forward pass the shards hold, or null. */
  private INDArray forwardInput;

  private INDArray forwardLastAct;
  private INDArray forwardLastMemCell;
  private INDArray forwardOutput;
  private boolean forwardZeroState;

  /** Gate pre-activations forward, their gradients backward: [T, mb, 4H], rows (t, b). */
  private NativeBuffer gateBuffer;

  /** The initial hidden state [mb, H] of the last forward pass (unused when it was zero). */
  private NativeBuffer initialHidden;

  /** RW^T [4H][H] and its packing for the vector kernels, refreshed every pass (or null). */
  private float[] recurrentTransposed;

  private float[] recurrentPacked;

  /** The vector path's per-pass arrays (see {@link ValuePass}), or null. */
  private ValuePass values;

  /** The embedding the last vector-path forward pass folded into its projection, or null. */
  private EmbeddingLookup folded;

  public FusedLstmLayer(NeuralNetConfiguration conf, DataType dataType) {
    super(conf, dataType);
  }

  /** Whether this layer's configuration and current input take the fused path. */
  boolean fusable() {
    return maskArray == null
        && layerConf().getWeightNoise() == null
        && dataType == DataType.FLOAT
        && layerConf().getActivationFn() instanceof ActivationTanH
        && layerConf().getGateActivationFn() instanceof ActivationSigmoid
        && TimeSeriesUtils.getFormatFromRnnLayer(layerConf()) == RNNFormat.NCW;
  }

  @Override
  public INDArray activate(INDArray input, boolean training, LayerWorkspaceMgr workspaceMgr) {
    setInput(input, workspaceMgr);
    return activate(training, workspaceMgr);
  }

  @Override
  public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
    if (!fusable()) {
      forwardInput = null;
      return super.activate(training, workspaceMgr);
    }
    return forward(training, null, null, workspaceMgr);
  }

  @Override
  public INDArray rnnTimeStep(INDArray input, LayerWorkspaceMgr workspaceMgr) {
    setInput(input, workspaceMgr);
    if (!fusable()) {
      forwardInput = null;
      return super.rnnTimeStep(input, workspaceMgr);
    }
    INDArray out =
        forward(
            false,
            stateMap.get(STATE_KEY_PREV_ACTIVATION),
            stateMap.get(STATE_KEY_PREV_MEMCELL),
            workspaceMgr);
    stateMap.put(STATE_KEY_PREV_ACTIVATION, forwardLastAct);
    stateMap.put(STATE_KEY_PREV_MEMCELL, forwardLastMemCell);
    return out;
  }

  @Override
  public INDArray rnnActivateUsingStoredState(
      INDArray input, boolean training, boolean storeLastForTBPTT, LayerWorkspaceMgr workspaceMgr) {
    setInput(input, workspaceMgr);
    if (!fusable()) {
      forwardInput = null;
      return super.rnnActivateUsingStoredState(input, training, storeLastForTBPTT, workspaceMgr);
    }
    INDArray out =
        forward(
            training,
            tBpttStateMap.get(STATE_KEY_PREV_ACTIVATION),
            tBpttStateMap.get(STATE_KEY_PREV_MEMCELL),
            workspaceMgr);
    if (storeLastForTBPTT) {
      tBpttStateMap.put(STATE_KEY_PREV_ACTIVATION, forwardLastAct);
      tBpttStateMap.put(STATE_KEY_PREV_MEMCELL, forwardLastMemCell);
    }
    return out;
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(
      INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
    if (!fusable()) {
      return super.backpropGradient(epsilon, workspaceMgr);
    }
    return backward(epsilon, false, -1, workspaceMgr);
  }

  @Override
  public Pair<Gradient, INDArray> tbpttBackpropGradient(
      INDArray epsilon, int tbpttBackwardLength, LayerWorkspaceMgr workspaceMgr) {
    if (!fusable()) {
      return super.tbpttBackpropGradient(epsilon, tbpttBackwardLength, workspaceMgr);
    }
    return backward(epsilon, true, tbpttBackwardLength, workspaceMgr);
  }

  /**
   * Whether the last forward pass folded the embedding below into its input projection ({@link
   * EmbeddingLookup}); tests check that the engine's network takes that path.
   */
  public boolean embeddingFolded() {
    return folded != null;
  }

  // ---------------------------------------------------------------------------------------------

  /** Runs the fused forward pass on {@link #input} from the given state (null: zeros). */
  private INDArray forward(
      boolean training, INDArray prevAct, INDArray prevMemCell, LayerWorkspaceMgr workspaceMgr) {
    assertInputSet(false);
    if (input.rank() != 3) {
      throw new DL4JInvalidInputException(
          "3D input [minibatch, nIn, timeSeriesLength] expected by "
              + layerId()
              + ", got rank "
              + input.rank());
    }
    applyDropOutIfNecessary(training, workspaceMgr);
    int nIn = Math.toIntExact(layerConf().getNIn());
    int hidden = Math.toIntExact(layerConf().getNOut());
    if (input.size(1) != nIn) {
      throw new DL4JInvalidInputException(
          "Received input with size(1) = "
              + input.size(1)
              + " (input array shape = "
              + Arrays.toString(input.shape())
              + "); input.size(1) must match layer nIn size (nIn = "
              + nIn
              + ")");
    }
    int batch = Math.toIntExact(input.size(0));
    int steps = Math.toIntExact(input.size(2));
    if (prevAct != null && prevAct.size(0) != batch) {
      throw new DL4JInvalidInputException(
          "Previous activations (stored state) number of examples = "
              + prevAct.size(0)
              + " but input array number of examples = "
              + batch
              + ". Possible cause: using rnnTimeStep() without calling rnnClearPreviousState() between"
              + " different sequences?");
    }
    boolean zeroState = prevAct == null || prevMemCell == null;
    float[] c0 = zeroState ? null : toFloats(prevMemCell);
    Params params = params(nIn, hidden);
    input = Layouts.stepsMajor(input, workspaceMgr, ArrayType.INPUT);
    int rows = batch * steps;
    int gates = 4 * hidden;
    if (vectorKernels(hidden)) {
      return forwardValues(prevAct, zeroState, c0, params, nIn, hidden, batch, steps, workspaceMgr);
    }
    values = null;
    Sequence in = Sequence.of(input);
    if (gateBuffer == null || gateBuffer.capacity() < (long) rows * gates) {
      gateBuffer = new NativeBuffer((long) rows * gates);
    }
    if (initialHidden == null || initialHidden.capacity() < (long) batch * hidden) {
      initialHidden = new NativeBuffer((long) batch * hidden);
    }
    if (!zeroState) {
      float[] h0 = toFloats(prevAct);
      initialHidden.write(0, h0, h0.length);
    }
    INDArray out = Layouts.stepsMajor(workspaceMgr, ArrayType.ACTIVATIONS, batch, hidden, steps);
    LstmShard.Buffers buffers =
        new LstmShard.Buffers(
            Pointers.address(gateBuffer.at(0)),
            Pointers.address(out),
            0,
            Pointers.address(initialHidden.at(0)),
            batch);
    LstmShard[] active = prepare(hidden, batch, steps);
    // The input projection of every step at once: gates = x W, rows (t, b).
    ParallelGemm.run(
        List.of(
            new ParallelGemm.Job(
                false,
                true,
                rows,
                gates,
                nIn,
                in.base(),
                in.leadingDimension(),
                params.inputWeights(),
                nIn,
                0f,
                buffers.gates(),
                gates)),
        active.length);
    Runnable[] tasks = new Runnable[active.length];
    for (int s = 0; s < active.length; s++) {
      LstmShard shard = active[s];
      shard.setInitialState(c0, zeroState);
      tasks[s] = () -> shard.forward(params.recurrentWeights(), params.bias(), buffers);
    }
    FusedRuntime.runAll(tasks);

    float[] lastAct = new float[batch * hidden];
    Pointers.at(buffers.output() + 4L * (steps - 1) * batch * hidden)
        .get(lastAct, 0, lastAct.length);
    return finishForward(out, lastAct, active, zeroState);
  }

  /** Keeps what backward and the state maps need from a forward pass; returns its output. */
  private INDArray finishForward(
      INDArray out, float[] lastAct, LstmShard[] active, boolean zeroState) {
    int batch = Math.toIntExact(out.size(0));
    int hidden = Math.toIntExact(out.size(1));
    float[] lastMem = new float[batch * hidden];
    for (LstmShard shard : active) {
      shard.lastCellState(lastMem);
    }
    try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      forwardLastAct = Nd4j.create(lastAct, new long[] {batch, hidden}, 'c');
      forwardLastMemCell = Nd4j.create(lastMem, new long[] {batch, hidden}, 'c');
    }
    forwardInput = input;
    forwardOutput = out;
    forwardZeroState = zeroState;
    return out;
  }

  /**
   * The forward pass on Java arrays and the vector kernels: the input projection in {@link
   * VectorGemm}, the recurrence per slice in {@link LstmShard#forward(float[], float[],
   * LstmShard.Values)}.
   */
  private INDArray forwardValues(
      INDArray prevAct,
      boolean zeroState,
      float[] c0,
      Params params,
      int nIn,
      int hidden,
      int batch,
      int steps,
      LayerWorkspaceMgr workspaceMgr) {
    int rows = batch * steps;
    int gates = 4 * hidden;
    if (values == null || !values.fits(nIn, hidden, batch, steps)) {
      // A new shape (the validation batch, a generation step) gets arrays of its own size; the
      // old ones are let go first, so both are never held at once.
      values = null;
      values = new ValuePass(nIn, hidden, batch, steps);
    }
    ValuePass pass = values;
    EmbeddingLookup lookup = EmbeddingLookup.producing(input);
    if (lookup != null && (lookup.width() != nIn || lookup.ids().length != rows)) {
      lookup = null;
    }
    folded = lookup;
    if (lookup == null) {
      // The layer below's Java output where it handed it over, else a copy.
      ValueHandoff.Values x =
          pass.inputStride == nIn ? ValueHandoff.of(input, (long) rows * nIn) : null;
      if (x == null) {
        pass.readInput(Sequence.of(input).base(), rows, nIn);
        pass.useInput(pass.input, 0);
      } else {
        pass.useInput(x.values(), x.offset());
      }
    }
    // W and RW in the kernels' layouts, one on each thread where there are two.
    Runnable inputWeights = () -> pass.readInputWeights(params.inputWeights(), nIn, gates);
    Runnable recurrentWeights =
        () ->
            LstmVectorKernels.packRecurrent(readRecurrent(params, hidden), hidden, recurrentPacked);
    if (FusedRuntime.threads() > 1) {
      FusedRuntime.runAll(new Runnable[] {inputWeights, recurrentWeights});
    } else {
      inputWeights.run();
      recurrentWeights.run();
    }
    int hs = hidden;
    if (zeroState) {
      Arrays.fill(pass.hidden, 0, batch * hs, 0f);
    } else {
      float[] h0 = toFloats(prevAct);
      System.arraycopy(h0, 0, pass.hidden, 0, batch * hs);
    }
    LstmShard[] active = prepare(hidden, batch, steps);
    LstmShard.Values shared;
    if (lookup == null) {
      // The input projection of every step at once: gates = x W, rows (t, b).
      VectorGemm.run(
          List.of(
              new VectorGemm.Job(
                  rows,
                  gates,
                  nIn,
                  pass.inputValues,
                  pass.inputOffset,
                  pass.inputStride,
                  1,
                  pass.inputWeights,
                  0,
                  gates,
                  pass.gates,
                  0,
                  gates,
                  false)),
          active.length);
      shared = new LstmShard.Values(pass.gates, pass.hidden, pass.epsilon, batch);
    } else {
      // The projection of every id, E W [vocab][4H]: row id is what the GEMM above computes for a
      // row whose input is E[id], bit for bit; the shards gather their rows from it.
      ValuePass.Fold fold = pass.fold(lookup);
      float[] table = fold.table;
      VectorGemm.run(
          List.of(
              new VectorGemm.Job(
                  fold.vocabRows,
                  gates,
                  nIn,
                  fold.embedding,
                  0,
                  pass.inputStride,
                  1,
                  pass.inputWeights,
                  0,
                  gates,
                  table,
                  0,
                  gates,
                  false)),
          active.length);
      shared =
          new LstmShard.Values(pass.gates, pass.hidden, pass.epsilon, batch, table, lookup.ids());
    }
    Runnable[] tasks = new Runnable[active.length];
    for (int s = 0; s < active.length; s++) {
      LstmShard shard = active[s];
      shard.setInitialState(c0, zeroState);
      tasks[s] = () -> shard.forward(recurrentPacked, params.bias(), shared);
    }
    FusedRuntime.runAll(tasks);

    INDArray out = Layouts.stepsMajor(workspaceMgr, ArrayType.ACTIVATIONS, batch, hidden, steps);
    Pointers.at(Pointers.address(out)).put(pass.hidden, batch * hs, rows * hs);
    ValueHandoff.publish(out, pass.hidden, batch * hs);
    float[] lastAct = Arrays.copyOfRange(pass.hidden, rows * hs, (rows + batch) * hs);
    return finishForward(out, lastAct, active, zeroState);
  }

  private Pair<Gradient, INDArray> backward(
      INDArray epsilon, boolean truncated, int backwardLength, LayerWorkspaceMgr workspaceMgr) {
    assertInputSet(true);
    if (forwardInput == null || forwardInput != input) {
      // No kept forward pass for this input: recompute from the state the stock layer would use.
      forward(
          true,
          truncated ? stateMap.get(STATE_KEY_PREV_ACTIVATION) : null,
          truncated ? stateMap.get(STATE_KEY_PREV_MEMCELL) : null,
          workspaceMgr);
    }
    int nIn = Math.toIntExact(layerConf().getNIn());
    int hidden = Math.toIntExact(layerConf().getNOut());
    int batch = Math.toIntExact(input.size(0));
    int steps = Math.toIntExact(input.size(2));
    Layouts.checkEpsilon(epsilon, batch, hidden, steps);
    INDArray eps = Layouts.stepsMajor(epsilon, workspaceMgr, ArrayType.BP_WORKING_MEM);
    int firstStep = truncated ? Math.max(0, steps - backwardLength) : 0;
    Params params = params(nIn, hidden);
    int rows = batch * steps;
    int gates = 4 * hidden;
    INDArray epsOut =
        Layouts.stepsMajor(workspaceMgr, ArrayType.ACTIVATION_GRAD, batch, nIn, steps);
    if (values != null) {
      backwardValues(eps, epsOut, firstStep, params, nIn, hidden, batch, steps);
      return finishBackward(epsOut, truncated);
    }
    Sequence in = Sequence.of(input);
    LstmShard.Buffers buffers =
        new LstmShard.Buffers(
            Pointers.address(gateBuffer.at(0)),
            Pointers.address(forwardOutput),
            Pointers.address(eps),
            Pointers.address(initialHidden.at(0)),
            batch);
    LstmShard[] active = activeShards();
    Runnable[] tasks = new Runnable[active.length];
    for (int s = 0; s < active.length; s++) {
      LstmShard shard = active[s];
      tasks[s] = () -> shard.backward(params.recurrentWeights(), firstStep, buffers);
    }
    FusedRuntime.runAll(tasks);

    INDArray gW = gradientViews.get(LSTMParamInitializer.INPUT_WEIGHT_KEY);
    INDArray gRW = gradientViews.get(LSTMParamInitializer.RECURRENT_WEIGHT_KEY);
    long gradW = Pointers.address(Pointers.ofColumnMajor(gW, nIn, gates));
    long gradRW = Pointers.address(Pointers.ofColumnMajor(gRW, hidden, gates));
    // Over all steps at once: dW^T = dz^T x; dRW^T = dz[t]^T h[t-1] (h[-1] the initial state); dx =
    // dz W^T.
    List<ParallelGemm.Job> jobs = new ArrayList<>();
    jobs.add(
        new ParallelGemm.Job(
            true,
            false,
            gates,
            nIn,
            rows,
            buffers.gates(),
            gates,
            in.base(),
            in.leadingDimension(),
            0f,
            gradW,
            nIn));
    jobs.add(
        new ParallelGemm.Job(
            true,
            false,
            gates,
            hidden,
            rows - batch,
            buffers.gates() + 4L * batch * gates,
            gates,
            buffers.output(),
            hidden,
            0f,
            gradRW,
            hidden));
    if (!forwardZeroState) {
      jobs.add(
          new ParallelGemm.Job(
              true,
              false,
              gates,
              hidden,
              batch,
              buffers.gates(),
              gates,
              buffers.initialHidden(),
              hidden,
              1f,
              gradRW,
              hidden));
    }
    jobs.add(
        new ParallelGemm.Job(
            false,
            false,
            rows,
            nIn,
            gates,
            buffers.gates(),
            gates,
            params.inputWeights(),
            nIn,
            0f,
            Pointers.address(epsOut),
            nIn));
    ParallelGemm.run(jobs, active.length);
    // The kernels read eps through its raw address: it must outlive them (a copy made above has no
    // other reference, and a collection would free its memory under the kernels' feet).
    Reference.reachabilityFence(eps);

    return finishBackward(epsOut, truncated);
  }

  /**
   * The backward pass on Java arrays and the vector kernels: the recurrence per slice in {@link
   * LstmShard#backward(float[], int, LstmShard.Values)}, then the weight and input gradients of all
   * steps in {@link VectorGemm}: dW^T = dz^T x, dRW^T = dz^T h[t-1] (the initial state included),
   * dx = dz W^T.
   */
  private void backwardValues(
      INDArray eps,
      INDArray epsOut,
      int firstStep,
      Params params,
      int nIn,
      int hidden,
      int batch,
      int steps) {
    ValuePass pass = values;
    pass.allocateBackward();
    int rows = batch * steps;
    int gates = 4 * hidden;
    // The layer above's Java input gradient where it handed it over, else a copy.
    ValueHandoff.Values dy = ValueHandoff.of(eps, (long) rows * hidden);
    float[] epsilon = dy != null && dy.offset() == 0 ? dy.values() : pass.epsilon;
    if (epsilon == pass.epsilon) {
      Pointers.at(Pointers.address(eps)).get(pass.epsilon, 0, rows * hidden);
      // Read through its raw address: a copy made by the caller has no other reference, and a
      // collection would free its memory under the read.
      Reference.reachabilityFence(eps);
    }
    float[] rwt = readRecurrent(params, hidden);
    LstmShard.Values shared =
        folded == null
            ? new LstmShard.Values(pass.gates, pass.hidden, epsilon, batch)
            : new LstmShard.Values(
                pass.gates, pass.hidden, epsilon, batch, pass.fold(folded).table, folded.ids());
    LstmShard[] active = activeShards();
    Runnable[] tasks = new Runnable[active.length];
    for (int s = 0; s < active.length; s++) {
      LstmShard shard = active[s];
      tasks[s] = () -> shard.backward(rwt, firstStep, shared);
    }
    FusedRuntime.runAll(tasks);

    int inStride = pass.inputStride;
    if (folded != null) {
      backwardFolded(pass, epsOut, nIn, hidden, active.length);
      return;
    }
    VectorGemm.run(
        List.of(
            new VectorGemm.Job(
                gates,
                inStride,
                rows,
                pass.gates,
                0,
                1,
                gates,
                pass.inputValues,
                pass.inputOffset,
                inStride,
                pass.inputWeightGradient,
                0,
                inStride,
                false),
            recurrentWeightGradient(pass, hidden),
            new VectorGemm.Job(
                rows,
                inStride,
                gates,
                pass.gates,
                0,
                gates,
                1,
                pass.inputWeightsRaw,
                0,
                inStride,
                pass.inputGradient,
                0,
                inStride,
                false)),
        active.length);
    writeWeightGradients(pass, nIn, hidden);
    pass.writeRows(pass.inputGradient, Pointers.address(epsOut), rows, nIn);
    if (inStride == nIn && layerConf().getIDropout() == null) {
      // (With dropout the gradient returned is epsOut with the mask applied, in place.)
      ValueHandoff.publish(epsOut, pass.inputGradient, 0);
    }
  }

  /**
   * The weight gradients after the backward recurrence when the forward pass folded the embedding
   * ({@link EmbeddingLookup}): the table's gradient dT [vocab][4H] sums the gate-gradient rows by
   * id (each shard its own rows, during its backward recurrence), then dW^T = dT^T E and dE = dT
   * W^T, two small multiplies in place of the GEMMs over every row. E's gradient goes to the
   * embedding layer through the lookup; the returned input gradient is a placeholder (NaN) that
   * only that layer receives.
   */
  private void backwardFolded(ValuePass pass, INDArray epsOut, int nIn, int hidden, int threads) {
    int gates = 4 * hidden;
    int inStride = pass.inputStride;
    EmbeddingLookup lookup = folded;
    ValuePass.Fold fold = pass.fold(lookup);
    int vocab = lookup.vocab();
    // The shards summed their own rows by id while the gradients were hot; their sums add up in
    // shard order, as the bias gradient's do.
    LstmShard[] active = activeShards();
    float[] dTable = fold.tableGradient;
    System.arraycopy(active[0].tableGradient(), 0, dTable, 0, dTable.length);
    for (int s = 1; s < active.length; s++) {
      GateMath.accumulate(active[s].tableGradient(), dTable, dTable.length);
    }
    VectorGemm.run(
        List.of(
            new VectorGemm.Job(
                gates,
                inStride,
                vocab,
                dTable,
                0,
                1,
                gates,
                fold.embedding,
                0,
                inStride,
                pass.inputWeightGradient,
                0,
                inStride,
                false),
            recurrentWeightGradient(pass, hidden),
            new VectorGemm.Job(
                fold.vocabRows,
                inStride,
                gates,
                dTable,
                0,
                gates,
                1,
                pass.inputWeightsRaw,
                0,
                inStride,
                fold.embeddingGradient,
                0,
                inStride,
                false)),
        threads);
    writeWeightGradients(pass, nIn, hidden);
    float[] embeddingGradient = new float[vocab * nIn];
    for (int v = 0; v < vocab; v++) {
      System.arraycopy(fold.embeddingGradient, v * inStride, embeddingGradient, v * nIn, nIn);
    }
    Pointers.at(Pointers.address(epsOut))
        .put(fold.placeholder(pass.rows * nIn), 0, pass.rows * nIn);
    lookup.foldGradient(embeddingGradient, epsOut);
  }

  /** dRW^T = dz^T h[t-1] over every row (h[-1] the initial state). */
  private static VectorGemm.Job recurrentWeightGradient(ValuePass pass, int hidden) {
    int gates = 4 * hidden;
    return new VectorGemm.Job(
        gates,
        hidden,
        pass.rows,
        pass.gates,
        0,
        1,
        gates,
        pass.hidden,
        0,
        hidden,
        pass.recurrentWeightGradient,
        0,
        hidden,
        false);
  }

  /** W's and RW's gradients from the pass's arrays into the layer's gradient views. */
  private void writeWeightGradients(ValuePass pass, int nIn, int hidden) {
    int gates = 4 * hidden;
    INDArray gW = gradientViews.get(LSTMParamInitializer.INPUT_WEIGHT_KEY);
    INDArray gRW = gradientViews.get(LSTMParamInitializer.RECURRENT_WEIGHT_KEY);
    pass.writeRows(
        pass.inputWeightGradient,
        Pointers.address(Pointers.ofColumnMajor(gW, nIn, gates)),
        gates,
        nIn);
    Pointers.at(Pointers.address(Pointers.ofColumnMajor(gRW, hidden, gates)))
        .put(pass.recurrentWeightGradient, 0, gates * hidden);
  }

  /** The bias gradient from the shards' sums, the TBPTT state, and the gradient to return. */
  private Pair<Gradient, INDArray> finishBackward(INDArray epsOut, boolean truncated) {
    LstmShard[] active = activeShards();
    INDArray gW = gradientViews.get(LSTMParamInitializer.INPUT_WEIGHT_KEY);
    INDArray gRW = gradientViews.get(LSTMParamInitializer.RECURRENT_WEIGHT_KEY);
    INDArray gB = gradientViews.get(LSTMParamInitializer.BIAS_KEY);
    float[] biasGrad = active[0].biasGradient().clone();
    for (int s = 1; s < active.length; s++) {
      GateMath.accumulate(active[s].biasGradient(), biasGrad, biasGrad.length);
    }
    Pointers.ofVector(gB, biasGrad.length).put(biasGrad, 0, biasGrad.length);

    if (truncated) {
      tBpttStateMap.put(STATE_KEY_PREV_ACTIVATION, forwardLastAct);
      tBpttStateMap.put(STATE_KEY_PREV_MEMCELL, forwardLastMemCell);
    }
    Gradient gradient = new DefaultGradient();
    gradient.gradientForVariable().put(LSTMParamInitializer.INPUT_WEIGHT_KEY, gW);
    gradient.gradientForVariable().put(LSTMParamInitializer.RECURRENT_WEIGHT_KEY, gRW);
    gradient.gradientForVariable().put(LSTMParamInitializer.BIAS_KEY, gB);
    weightNoiseParams.clear();
    return new Pair<>(gradient, backpropDropOutIfPresent(epsOut));
  }

  /**
   * Dropout as the stock layer applies it, except that the dropped input is always a copy, in this
   * layer's own layout (which the kernel reads without further copying), even where DL4J allows
   * modifying the input in place (every layer but the first): the input is the output of the layer
   * below, and a fused LSTM below keeps that output for its backward pass (h[t-1] of its
   * recurrent-weight gradient), so dropping it in place corrupted that gradient (issue 20,
   * TrainingOracleTest). The stock LSTM recomputes its forward pass in backprop and never noticed.
   */
  @Override
  protected void applyDropOutIfNecessary(boolean training, LayerWorkspaceMgr workspaceMgr) {
    if (training && !dropoutApplied && layerConf().getIDropout() != null) {
      INDArray result =
          Layouts.stepsMajor(
              workspaceMgr, ArrayType.INPUT, input.size(0), input.size(1), input.size(2));
      input =
          layerConf()
              .getIDropout()
              .applyDropout(input, result, getIterationCount(), getEpochCount(), workspaceMgr);
      dropoutApplied = true;
    }
  }

  /**
   * Native addresses of W^T [4H][nIn] and RW^T [4H][H] (DL4J's column-major W, RW) and the bias.
   */
  record Params(long inputWeights, long recurrentWeights, float[] bias) {}

  private Params params(int nIn, int hidden) {
    Map<String, INDArray> table = paramTable();
    long w =
        Pointers.address(
            Pointers.ofColumnMajor(
                table.get(LSTMParamInitializer.INPUT_WEIGHT_KEY), nIn, 4L * hidden));
    long rw =
        Pointers.address(
            Pointers.ofColumnMajor(
                table.get(LSTMParamInitializer.RECURRENT_WEIGHT_KEY), hidden, 4L * hidden));
    float[] bias = new float[4 * hidden];
    Pointers.ofVector(table.get(LSTMParamInitializer.BIAS_KEY), 4L * hidden)
        .get(bias, 0, bias.length);
    return new Params(w, rw, bias);
  }

  /**
   * Whether the recurrence runs on {@link LstmVectorKernels} for this layer (sizing its arrays).
   */
  private boolean vectorKernels(int hidden) {
    if (!FusedRuntime.vectorKernels() || !LstmVectorKernels.supports(hidden)) {
      return false;
    }
    int size = 4 * hidden * hidden;
    if (recurrentTransposed == null || recurrentTransposed.length != size) {
      recurrentTransposed = new float[size];
      recurrentPacked = new float[size];
    }
    return true;
  }

  /** RW^T [4H][H] (DL4J's column-major RW) copied into {@link #recurrentTransposed}. */
  private float[] readRecurrent(Params params, int hidden) {
    Pointers.at(params.recurrentWeights()).get(recurrentTransposed, 0, 4 * hidden * hidden);
    return recurrentTransposed;
  }

  /**
   * Splits the batch into slices (at most {@link FusedRuntime#threads()}) and sizes their buffers.
   */
  private LstmShard[] prepare(int hidden, int batch, int steps) {
    int slices =
        Math.max(
            1,
            Math.min(FusedRuntime.threads(), Math.min(batch, batch * steps / MIN_ROWS_PER_SLICE)));
    if (shards.length < slices) {
      LstmShard[] grown = Arrays.copyOf(shards, slices);
      for (int s = shards.length; s < slices; s++) {
        grown[s] = new LstmShard(hidden);
      }
      shards = grown;
    }
    activeSlices = slices;
    for (int s = 0; s < slices; s++) {
      int from = batch * s / slices;
      int to = batch * (s + 1) / slices;
      shards[s].resize(from, to - from, steps);
    }
    return activeShards();
  }

  private int activeSlices;

  private LstmShard[] activeShards() {
    return Arrays.copyOf(shards, activeSlices);
  }

  /**
   * The vector path's arrays, kept across passes of one shape: the input x [rows][nIn'] (nIn'
   * {@link #inputStride}: nIn rounded up to whole vectors, the padding zero), W as [nIn][4H] for
   * the projection and as DL4J stores it, [4H][nIn'], for the input gradient, the gates [rows][4H],
   * the hidden states [rows + mb][H] with the initial state first, epsilon [rows][H], and the
   * gradients the backward GEMMs write.
   */
  private static final class ValuePass {
    final int nIn;
    final int hiddenSize;
    final int rows;
    final int batch;
    final int inputStride;
    final float[] input;
    final float[] inputWeights;
    final float[] inputWeightsRaw;

    /** W as read, [4H][nIn], before it is laid out into the two arrays above. */
    final float[] weightScratch;

    final float[] gates;
    final float[] hidden;

    // The backward pass's arrays, allocated by its first use: a forward-only pass (the validation
    // loss, a clone) never holds them.
    float[] epsilon;
    float[] inputWeightGradient;
    float[] recurrentWeightGradient;
    float[] inputGradient;

    /** Dense [rows][nIn] scratch for copies in and out when nIn is padded (else null). */
    final float[] dense;

    ValuePass(int nIn, int hiddenSize, int batch, int steps) {
      this.nIn = nIn;
      this.hiddenSize = hiddenSize;
      this.batch = batch;
      this.rows = Math.multiplyExact(batch, steps);
      this.inputStride =
          Math.floorDiv(nIn + VectorGemm.LANES - 1, VectorGemm.LANES) * VectorGemm.LANES;
      int gateCount = 4 * hiddenSize;
      input = new float[Math.multiplyExact(rows, inputStride)];
      inputWeights = new float[nIn * gateCount];
      inputWeightsRaw = new float[gateCount * inputStride];
      weightScratch = new float[nIn * gateCount];
      gates = new float[Math.multiplyExact(rows, gateCount)];
      hidden = new float[Math.multiplyExact(rows + batch, hiddenSize)];
      dense = inputStride == nIn ? null : new float[Math.multiplyExact(rows, nIn)];
    }

    void allocateBackward() {
      if (epsilon == null) {
        int gateCount = 4 * hiddenSize;
        epsilon = new float[Math.multiplyExact(rows, hiddenSize)];
        inputWeightGradient = new float[gateCount * inputStride];
        recurrentWeightGradient = new float[gateCount * hiddenSize];
        inputGradient = new float[Math.multiplyExact(rows, inputStride)];
      }
    }

    /**
     * Where this pass's input x [rows][nIn'] is: {@link #input} from 0, or the layer below's own
     * array ({@link ValueHandoff}).
     */
    float[] inputValues;

    int inputOffset;

    void useInput(float[] array, int offset) {
      inputValues = array;
      inputOffset = offset;
    }

    /** The arrays of a folded embedding ({@link #fold}), or null. */
    private Fold fold;

    /**
     * The arrays for folding {@code lookup}'s embedding (sized by its vocabulary, E copied in on
     * first use per lookup).
     */
    Fold fold(EmbeddingLookup lookup) {
      int vocab = lookup.vocab();
      if (fold == null || fold.vocab != vocab) {
        fold = new Fold(vocab, 4 * hiddenSize, inputStride);
      }
      if (fold.source != lookup) {
        float[] e = lookup.embedding();
        for (int v = 0; v < vocab; v++) {
          System.arraycopy(e, v * nIn, fold.embedding, v * inputStride, nIn);
        }
        fold.source = lookup;
      }
      return fold;
    }

    /**
     * A folded embedding's arrays: the table E W [vocab'][4H], its gradient, E [vocab'][nIn'] and
     * E's gradient in the same layout (vocab' the vocabulary rounded up to whole register tiles of
     * rows, so that every multiply runs in {@link VectorGemm}'s tile; the padding zero).
     */
    static final class Fold {
      final int vocab;

      /** The vocabulary rounded up to whole register tiles: the rows of every array here. */
      final int vocabRows;

      final float[] table;
      final float[] tableGradient;
      final float[] embedding;
      final float[] embeddingGradient;
      EmbeddingLookup source;

      /** NaNs for the placeholder input gradient, grown on demand. */
      private float[] nans = new float[0];

      Fold(int vocab, int gateCount, int inputStride) {
        this.vocab = vocab;
        this.vocabRows = VectorGemm.wholeTiles(vocab, VectorGemm.TILE_ROWS);
        table = new float[vocabRows * gateCount];
        tableGradient = new float[vocabRows * gateCount];
        embedding = new float[vocabRows * inputStride];
        embeddingGradient = new float[vocabRows * inputStride];
      }

      float[] placeholder(int length) {
        if (nans.length < length) {
          nans = new float[length];
          Arrays.fill(nans, Float.NaN);
        }
        return nans;
      }
    }

    boolean fits(int nIn, int hiddenSize, int batch, int steps) {
      return this.nIn == nIn
          && this.hiddenSize == hiddenSize
          && this.batch == batch
          && (long) batch * steps == rows;
    }

    /** x [rows][nIn] from native memory into {@link #input}. */
    void readInput(long address, int rowCount, int columns) {
      if (dense == null) {
        Pointers.at(address).get(input, 0, rowCount * columns);
        return;
      }
      Pointers.at(address).get(dense, 0, rowCount * columns);
      for (int r = 0; r < rowCount; r++) {
        System.arraycopy(dense, r * columns, input, r * inputStride, columns);
      }
    }

    /** W (DL4J's column-major [nIn, 4H], i.e. [4H][nIn]) into both of its layouts here. */
    void readInputWeights(long address, int columns, int gateCount) {
      float[] raw = weightScratch;
      Pointers.at(address).get(raw, 0, gateCount * columns);
      for (int g = 0; g < gateCount; g++) {
        System.arraycopy(raw, g * columns, inputWeightsRaw, g * inputStride, columns);
      }
      // The transpose in blocks of 16 gates: each written line is whole, the 16 rows read stay in
      // L1 (one gate at a time wrote a line per element).
      for (int g0 = 0; g0 < gateCount; g0 += 16) {
        int g1 = Math.min(gateCount, g0 + 16);
        for (int n = 0; n < columns; n++) {
          int to = n * gateCount;
          for (int g = g0; g < g1; g++) {
            inputWeights[to + g] = raw[g * columns + n];
          }
        }
      }
    }

    /** The first {@code columns} of each of {@code rowCount} rows of {@code values} to native. */
    void writeRows(float[] values, long address, int rowCount, int columns) {
      if (inputStride == columns) {
        Pointers.at(address).put(values, 0, rowCount * columns);
        return;
      }
      float[] out = rowCount * columns <= dense.length ? dense : new float[rowCount * columns];
      for (int r = 0; r < rowCount; r++) {
        System.arraycopy(values, r * inputStride, out, r * columns, columns);
      }
      Pointers.at(address).put(out, 0, rowCount * columns);
    }
  }

  /** The values of a [batch, H] array, row-major. */
  private static float[] toFloats(INDArray array) {
    INDArray dense = array.ordering() == 'c' && !array.isView() ? array : array.dup('c');
    return dense.castTo(DataType.FLOAT).data().asFloat();
  }
}
