package io.charstream.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything needed to generate from a model or to continue training it exactly: one
 * self-describing file of magic bytes, format version, a JSON manifest (configs, vocabulary,
 * metrics, position, the name/shape/offset of every array) and the raw little-endian float32
 * arrays. No Java serialization.
 *
 * <p>Weights use DL4J's parameter names ({@code "<layer>_<param>"}: 0_W embedding [vocab, emb], l_W
 * [in, 4H], l_RW [H, 4H], l_b [1, 4H] with DL4J's gate order, last_W [H, vocab], last_b [1,
 * vocab]). Training state holds the RNN state of the training streams ({@code state.<layer>.h/c}
 * [batch, H]), Adam's state ({@code adam.state} [2 * params] in DL4J's updater order) and the RNG
 * state.
 */
public final class Checkpoint {

  /** Bumped whenever the layout changes; loading another version fails with a hint. */
  public static final int FORMAT_VERSION = 1;

  private final ModelConfig modelConfig;
  private final TrainingConfig trainingConfig;
  private final Vocabulary vocabulary;
  private final List<Metrics> history;
  private final TrainingPosition position;
  private final Map<String, Tensor> weights;
  private final TrainingState trainingState;

  /**
   * What only training needs: the RNN state of the streams, the optimizer's state, the RNG state,
   * and the running loss of a partly trained epoch.
   *
   * @param rngState state of the training random source (dropout masks, samples)
   * @param epochLossSum sum of the per-batch mean losses of the epoch in progress (0 at its start)
   * @param epochSeconds training seconds spent so far in the epoch in progress
   */
  public record TrainingState(
      Map<String, Tensor> arrays, long rngState, double epochLossSum, double epochSeconds) {
    public TrainingState {
      arrays = Map.copyOf(arrays);
    }
  }

  public Checkpoint(
      ModelConfig modelConfig,
      TrainingConfig trainingConfig,
      Vocabulary vocabulary,
      List<Metrics> history,
      TrainingPosition position,
      Map<String, Tensor> weights,
      TrainingState trainingState) {
    if (vocabulary.size() != modelConfig.vocabSize()) {
      throw new IllegalArgumentException(
          "vocabulary has "
              + vocabulary.size()
              + " ids but the model config says vocabSize "
              + modelConfig.vocabSize());
    }
    this.modelConfig = modelConfig;
    this.trainingConfig = trainingConfig;
    this.vocabulary = vocabulary;
    this.history = List.copyOf(history);
    this.position = position;
    this.weights = Map.copyOf(weights);
    this.trainingState = trainingState;
  }

  /**
   * A checkpoint of weights that no training run made (synthetic or freshly initialised): the
   * default training config, no history, the start position, no training state.
   */
  public static Checkpoint untrained(
      ModelConfig modelConfig, Vocabulary vocabulary, Map<String, Tensor> weights) {
    return new Checkpoint(
        modelConfig,
        TrainingConfig.defaults(),
        vocabulary,
        List.of(),
        TrainingPosition.start(),
        weights,
        null);
  }

  public ModelConfig modelConfig() {
    return modelConfig;
  }

  public TrainingConfig trainingConfig() {
    return trainingConfig;
  }

  public Vocabulary vocabulary() {
    return vocabulary;
  }

  /** One entry per finished epoch, oldest first. */
  public List<Metrics> history() {
    return history;
  }

  /** The latest finished epoch's metrics, if any epoch has finished. */
  public Optional<Metrics> metrics() {
    return history.isEmpty() ? Optional.empty() : Optional.of(history.get(history.size() - 1));
  }

  public TrainingPosition position() {
    return position;
  }

  /** Weight tensors by DL4J parameter name (see the class comment). */
  public Map<String, Tensor> weights() {
    return weights;
  }

  public Optional<TrainingState> trainingState() {
    return Optional.ofNullable(trainingState);
  }

  public boolean hasTrainingState() {
    return trainingState != null;
  }

  /**
   * Weights, configs, vocabulary and metrics only: what a generator needs (~0.85 MB at defaults).
   */
  public Checkpoint withoutTrainingState() {
    return trainingState == null
        ? this
        : new Checkpoint(modelConfig, trainingConfig, vocabulary, history, position, weights, null);
  }

  public byte[] toBytes() {
    return CheckpointCodec.encode(this);
  }

  /**
   * @throws CheckpointFormatException on a foreign file, a truncated one, or another format version
   */
  public static Checkpoint fromBytes(byte[] bytes) {
    return CheckpointCodec.decode(bytes);
  }

  /** Writes atomically (a temporary file in the same folder, then a rename). */
  public void write(Path path) throws IOException {
    CheckpointCodec.write(this, path);
  }

  public static Checkpoint read(Path path) throws IOException {
    return CheckpointCodec.read(path);
  }

  @Override
  public String toString() {
    return "Checkpoint["
        + modelConfig
        + ", "
        + vocabulary
        + ", "
        + position
        + (trainingState == null ? ", weights only]" : ", with training state]");
  }
}
