package io.charstream.model;

/**
 * The Java heap a training run needs. The fused LSTM layers keep a pass's gates, states and
 * gradients (batch x sequence x hidden each) in Java arrays, once for the network and once for the
 * clone the validation loss runs on, so the heap grows with {@link #activationFloats}; the rest
 * (the corpus as ids, the parameters, Adam's moments, the JVM's own) is a small base. Local
 * training sizes its heap with it, and the trainer refuses a request that would not fit in its own
 * heap instead of failing with an OutOfMemoryError.
 */
public final class TrainingMemory {

  /**
   * Heap in use beyond the activations (parameters with their gradients and Adam moments, the
   * corpus as ids, the JVM's classes and buffers).
   */
  static final long BASE_BYTES = 40L << 20;

  /**
   * Heap bytes per {@link #activationFloats} float at a run's peak, the first validation (the
   * arrays of a training pass and of the validation clone's), calibrated on the large preset: it
   * trains through its validations with 640 MB of heap and fails with 448 MB; with {@link
   * #HEADROOM} this constant gives it 672 MB (docs/model.md "Memory").
   */
  static final long BYTES_PER_ACTIVATION = 18;

  /** A heap this much larger than the peak trains without the collector thrashing. */
  static final double HEADROOM = 1.5;

  private TrainingMemory() {}

  /**
   * The proxy of one step's activation memory in floats: batchSize x seqLen x (embeddingSize + 6 x
   * rnnSize x numLayers + vocabulary): an LSTM layer keeps six values per unit and character (four
   * gates, the cell state and its tanh).
   */
  public static long activationFloats(
      int batchSize, int seqLen, int embeddingSize, int rnnSize, int numLayers, int vocabSize) {
    return (long) batchSize * seqLen * (embeddingSize + 6L * rnnSize * numLayers + vocabSize);
  }

  public static long activationFloats(ModelConfig model, TrainingConfig training) {
    return activationFloats(
        training.batchSize(),
        training.seqLen(),
        model.embeddingSize(),
        model.rnnSize(),
        model.numLayers(),
        model.vocabSize());
  }

  /** The heap a run this size holds at its peak, the first validation. */
  public static long peakBytes(long activationFloats) {
    return BASE_BYTES + BYTES_PER_ACTIVATION * activationFloats;
  }

  /** The heap to give a run this size: its peak with {@link #HEADROOM}. */
  public static long heapBytes(long activationFloats) {
    return (long) (peakBytes(activationFloats) * HEADROOM);
  }

  public static long heapBytes(ModelConfig model, TrainingConfig training) {
    return heapBytes(activationFloats(model, training));
  }
}
