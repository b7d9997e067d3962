package io.charstream.trainer;

import io.charstream.model.ModelConfig;
import io.charstream.model.TrainingConfig;
import io.charstream.model.TrainingMemory;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.trainer.request.Rejection;

/**
 * Turns a training request into the engine's configs, within the worker's limits; anything it
 * cannot train becomes a {@link Rejection} that names the field and says how to fix it.
 */
public final class RequestPolicy {

  /** Heap the trainer keeps for itself (its Kafka clients, Streams tables, buffers) in any case. */
  static final long HEAP_RESERVE_BYTES = 128L << 20;

  private final TrainerConfig.Limits limits;
  private final long heapPerJobBytes;

  /**
   * @param heapPerJobBytes the Java heap one job may use ({@link #heapPerJob})
   */
  public RequestPolicy(TrainerConfig.Limits limits, long heapPerJobBytes) {
    this.limits = limits;
    this.heapPerJobBytes = heapPerJobBytes;
  }

  /**
   * The heap one job may use: this JVM's maximum heap less {@link #HEAP_RESERVE_BYTES}, shared by
   * {@code maxConcurrentJobs} jobs.
   */
  public static long heapPerJob(long maxHeapBytes, int maxConcurrentJobs) {
    return Math.max(0, maxHeapBytes - HEAP_RESERVE_BYTES) / Math.max(1, maxConcurrentJobs);
  }

  /** Checks the sizes that need no corpus. */
  public void checkSizes(TrainingRequest r) throws Rejection {
    requireResolved(r);
    atMost("seqLen", r.seqLen(), limits.maxSeqLen());
    atMost("batchSize", r.batchSize(), limits.maxBatchSize());
    atMost("numEpochs", r.numEpochs(), limits.maxNumEpochs());
  }

  /**
   * The network for a vocabulary of {@code vocabSize} ids, within the parameter and memory limits.
   */
  public ModelConfig modelConfig(TrainingRequest r, int vocabSize) throws Rejection {
    requireResolved(r);
    ModelConfig config;
    try {
      config =
          new ModelConfig(vocabSize, r.embeddingSize(), r.rnnSize(), r.numLayers(), r.dropRate());
    } catch (IllegalArgumentException e) {
      throw new Rejection(fieldOf(e.getMessage()), e.getMessage());
    }
    long params = config.parameterCount();
    if (params > limits.maxParameters()) {
      throw new Rejection(
          "rnnSize",
          String.format(
              java.util.Locale.ROOT,
              "the model would have %,d parameters, more than this trainer's limit of %,d (max.parameters): "
                  + "use a smaller rnnSize, numLayers or embeddingSize",
              params,
              limits.maxParameters()));
    }
    // The embedding's output is an activation too: without it a wide embedding on a small LSTM
    // would pass with a step several times larger (in memory and time) than the limit means.
    long floats =
        TrainingMemory.activationFloats(
            r.batchSize(), r.seqLen(), r.embeddingSize(), r.rnnSize(), r.numLayers(), vocabSize);
    if (floats > limits.maxBatchActivationFloats()) {
      throw new Rejection(
          "batchSize",
          String.format(
              java.util.Locale.ROOT,
              "one training step would hold about %,d activations (batchSize x seqLen x (embeddingSize + 6 x "
                  + "rnnSize x numLayers + vocabulary)), more than this trainer's limit of %,d "
                  + "(max.batch.activation.floats): use a smaller batchSize, seqLen, rnnSize or embeddingSize",
              floats,
              limits.maxBatchActivationFloats()));
    }
    long heap = TrainingMemory.heapBytes(floats);
    if (heap > heapPerJobBytes) {
      throw new Rejection(
          "rnnSize",
          String.format(
              java.util.Locale.ROOT,
              "training this model needs about %,d MB of Java heap (its activations: batchSize x seqLen x"
                  + " (embeddingSize + 6 x rnnSize x numLayers + vocabulary)), more than the %,d MB this"
                  + " trainer has per job (its -Xmx less %d MB, over max.concurrent.jobs): use a smaller"
                  + " rnnSize, batchSize or seqLen, or give the trainer more heap (-Xmx in"
                  + " CHARSTREAM_JAVA_OPTS, or a larger memory limit for its pod)",
              heap >> 20,
              heapPerJobBytes >> 20,
              HEAP_RESERVE_BYTES >> 20));
    }
    return config;
  }

  /**
   * The engine's training config; the corpus must hold at least one batch. Under the constant
   * schedule the final learning rate is the learning rate, as the engine's reference config has it.
   */
  public TrainingConfig trainingConfig(
      TrainingRequest r, long corpusCodePoints, int checkpointEverySteps) throws Rejection {
    requireResolved(r);
    TrainingConfig.ValidationSplit split =
        TrainingConfig.ValidationSplit.valueOf(r.valSplit().name());
    TrainingConfig.LearningRateSchedule schedule =
        TrainingConfig.LearningRateSchedule.valueOf(r.lrSchedule().name());
    double finalRate =
        schedule == TrainingConfig.LearningRateSchedule.COSINE
            ? r.finalLearningRate()
            : r.learningRate();
    TrainingConfig config;
    try {
      config =
          TrainingConfig.builder()
              .seqLen(r.seqLen())
              .batchSize(r.batchSize())
              .numEpochs(r.numEpochs())
              .learningRate(r.learningRate())
              .clipNorm(r.clipNorm())
              .valFraction(r.valFraction())
              .seed(r.seed())
              .checkpointEverySteps(checkpointEverySteps)
              .valSplit(split)
              .lrSchedule(schedule)
              .finalLearningRate(finalRate)
              .build();
    } catch (IllegalArgumentException e) {
      throw new Rejection(fieldOf(e.getMessage()), e.getMessage());
    }
    long train = trainingChars(corpusCodePoints, r.valFraction(), split, r.batchSize());
    long perBatch = (long) r.batchSize() * r.seqLen();
    if (train - 1 < perBatch) {
      throw new Rejection(
          "batchSize",
          String.format(
              java.util.Locale.ROOT,
              "corpus '%s' has %,d training characters (valSplit %s), fewer than one batch of batchSize x seqLen = %,d"
                  + " (+1): use a smaller batchSize or seqLen, or a larger corpus",
              r.corpusId(),
              train,
              r.valSplit().json(),
              perBatch));
    }
    return config;
  }

  /**
   * Characters left for training after the held-out split, counted as the engine splits
   * (TrainingSession.split): TAIL keeps the first floor(n x (1 - valFraction)) ({@link
   * TrainingConfig#tailTrainingChars}); BLOCKS cuts batchSize blocks of n / batchSize (the
   * remainder is unused) and drops the last floor(block x valFraction) of each.
   */
  static long trainingChars(
      long n, double valFraction, TrainingConfig.ValidationSplit split, int batchSize) {
    if (split == TrainingConfig.ValidationSplit.TAIL || valFraction == 0.0) {
      return TrainingConfig.tailTrainingChars(n, valFraction);
    }
    long block = n / batchSize;
    return batchSize * (block - (long) Math.floor(block * valFraction));
  }

  private static void requireResolved(TrainingRequest r) {
    if (!r.resolved()) {
      throw new IllegalStateException(
          "request "
              + r.jobId()
              + " still has its preset's fields unset: "
              + "pass it through EffectiveRequest.of first");
    }
  }

  private static void atMost(String field, long value, long max) throws Rejection {
    if (value > max) {
      throw new Rejection(
          field, field + " " + value + " is more than this trainer accepts (" + max + ")");
    }
  }

  /** The engine's messages start with the field name ("rnnSize must be ..."). */
  private static String fieldOf(String message) {
    if (message == null) return null;
    int space = message.indexOf(' ');
    return space > 0 ? message.substring(0, space) : null;
  }
}
