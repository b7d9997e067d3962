package io.charstream.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The JSON manifest of a checkpoint file, as Jackson reads and writes it: the components in the
 * order they appear in the file. Required fields are checked here (a missing or null one is named
 * in the error); the fields added after the first release ({@code valSplit}, {@code lrSchedule},
 * {@code finalLearningRate}) are optional and default as the engine did before them. Unknown fields
 * are ignored, so a manifest with more fields still loads.
 */
record CheckpointManifest(
    String format,
    Integer formatVersion,
    String weightLayout,
    Model modelConfig,
    Training trainingConfig,
    Vocab vocabulary,
    List<Epoch> history,
    Position position,
    @JsonInclude(JsonInclude.Include.NON_NULL) State trainingState,
    List<Array> arrays,
    Long dataCrc32) {

  static final String FORMAT = "charstream-checkpoint";
  static final String WEIGHT_LAYOUT = "dl4j-1.0.0-M2.1-param-table";
  static final String WEIGHTS = "weights";
  static final String TRAINING_STATE = "trainingState";

  CheckpointManifest {
    required(dataCrc32, "dataCrc32");
    required(modelConfig, "modelConfig");
    required(trainingConfig, "trainingConfig");
    required(vocabulary, "vocabulary");
    required(history, "history");
    required(position, "position");
    required(arrays, "arrays");
  }

  /** The manifest of {@code c}, whose float arrays are laid out as {@code arrays} says. */
  static CheckpointManifest of(Checkpoint c, List<Array> arrays, long dataCrc32) {
    return new CheckpointManifest(
        FORMAT,
        Checkpoint.FORMAT_VERSION,
        WEIGHT_LAYOUT,
        Model.of(c.modelConfig()),
        Training.of(c.trainingConfig()),
        new Vocab(c.vocabulary().kind(), c.vocabulary().codePoints()),
        c.history().stream().map(Epoch::of).toList(),
        Position.of(c.position()),
        c.trainingState().map(State::of).orElse(null),
        arrays,
        dataCrc32);
  }

  record Model(
      Integer vocabSize,
      Integer embeddingSize,
      Integer rnnSize,
      Integer numLayers,
      Double dropRate) {
    Model {
      required(vocabSize, "vocabSize");
      required(embeddingSize, "embeddingSize");
      required(rnnSize, "rnnSize");
      required(numLayers, "numLayers");
      required(dropRate, "dropRate");
    }

    static Model of(ModelConfig c) {
      return new Model(c.vocabSize(), c.embeddingSize(), c.rnnSize(), c.numLayers(), c.dropRate());
    }

    ModelConfig toConfig() {
      return new ModelConfig(vocabSize, embeddingSize, rnnSize, numLayers, dropRate);
    }
  }

  /**
   * @param seed a string: a JSON number would lose bits in readers that parse numbers as doubles
   */
  record Training(
      Integer seqLen,
      Integer batchSize,
      Integer numEpochs,
      Double learningRate,
      Double clipNorm,
      Double valFraction,
      String seed,
      Integer checkpointEverySteps,
      String valSplit,
      String lrSchedule,
      Double finalLearningRate) {
    Training {
      required(seqLen, "seqLen");
      required(batchSize, "batchSize");
      required(numEpochs, "numEpochs");
      required(learningRate, "learningRate");
      required(clipNorm, "clipNorm");
      required(valFraction, "valFraction");
      required(seed, "seed");
      required(checkpointEverySteps, "checkpointEverySteps");
    }

    static Training of(TrainingConfig c) {
      return new Training(
          c.seqLen(),
          c.batchSize(),
          c.numEpochs(),
          c.learningRate(),
          c.clipNorm(),
          c.valFraction(),
          Long.toString(c.seed()),
          c.checkpointEverySteps(),
          c.valSplit().flag(),
          c.lrSchedule().flag(),
          c.finalLearningRate());
    }

    /**
     * Manifests written before valSplit and the schedule lack them: the builder's defaults apply
     * (tail split, constant rate, final rate = learning rate).
     */
    TrainingConfig toConfig() {
      TrainingConfig.Builder b =
          TrainingConfig.builder()
              .seqLen(seqLen)
              .batchSize(batchSize)
              .numEpochs(numEpochs)
              .learningRate(learningRate)
              .clipNorm(clipNorm)
              .valFraction(valFraction)
              .seed(Long.parseLong(seed))
              .checkpointEverySteps(checkpointEverySteps)
              .finalLearningRate(finalLearningRate);
      if (valSplit != null) b.valSplit(TrainingConfig.ValidationSplit.parse(valSplit));
      if (lrSchedule != null) b.lrSchedule(TrainingConfig.LearningRateSchedule.parse(lrSchedule));
      return b.build();
    }
  }

  /** The vocabulary's code points in id order; {@code kind} is informative. */
  record Vocab(String kind, List<Integer> codePoints) {
    Vocab {
      required(codePoints, "codePoints");
    }
  }

  /** One epoch's metrics; JSON has no NaN, so a missing loss is null. */
  record Epoch(
      Integer epoch, Long globalStep, Double trainLoss, Double valLoss, Double durationSeconds) {
    Epoch {
      required(epoch, "epoch");
      required(globalStep, "globalStep");
    }

    static Epoch of(Metrics m) {
      return new Epoch(
          m.epoch(),
          m.globalStep(),
          finiteOrNull(m.trainLoss()),
          finiteOrNull(m.valLoss()),
          finiteOrNull(m.durationSeconds()));
    }

    Metrics toMetrics() {
      return new Metrics(
          epoch, globalStep, nanIfNull(trainLoss), nanIfNull(valLoss), nanIfNull(durationSeconds));
    }
  }

  record Position(Integer epoch, Integer batch, Long globalStep) {
    Position {
      required(epoch, "epoch");
      required(batch, "batch");
      required(globalStep, "globalStep");
    }

    static Position of(TrainingPosition p) {
      return new Position(p.epoch(), p.batch(), p.globalStep());
    }

    TrainingPosition toPosition() {
      return new TrainingPosition(epoch, batch, globalStep);
    }
  }

  /**
   * The scalars of {@link Checkpoint.TrainingState} (its arrays are in the table).
   *
   * @param rngState a string, as the seed
   */
  record State(String rngState, Double epochLossSum, Double epochSeconds) {
    State {
      required(rngState, "rngState");
    }

    static State of(Checkpoint.TrainingState s) {
      return new State(
          Long.toString(s.rngState()),
          finiteOrNull(s.epochLossSum()),
          finiteOrNull(s.epochSeconds()));
    }

    Checkpoint.TrainingState toState(java.util.Map<String, Tensor> arrays) {
      return new Checkpoint.TrainingState(
          arrays, Long.parseLong(rngState), nanIfNull(epochLossSum), nanIfNull(epochSeconds));
    }
  }

  /**
   * One float32 array of the data section.
   *
   * @param group {@link #WEIGHTS} or {@link #TRAINING_STATE}
   * @param offset in floats from the start of the data section
   * @param length in floats
   */
  record Array(String name, String group, int[] shape, Long offset, Integer length) {
    Array {
      required(name, "name");
      required(group, "group");
      required(shape, "shape");
      required(offset, "offset");
      required(length, "length");
    }

    boolean isWeight() {
      return WEIGHTS.equals(group);
    }
  }

  private static void required(Object value, String field) {
    if (value == null) {
      throw new CheckpointFormatException(
          "checkpoint manifest lacks the field '"
              + field
              + "': the file is damaged or was not written by charstream; use another checkpoint or"
              + " train again");
    }
  }

  private static Double finiteOrNull(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static double nanIfNull(Double v) {
    return v == null ? Double.NaN : v;
  }
}
