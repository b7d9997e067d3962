package io.charstream.model.training;

import io.charstream.model.Checkpoint;
import io.charstream.model.CorpusReport;
import io.charstream.model.EpochResult;
import io.charstream.model.Metrics;
import io.charstream.model.ModelConfig;
import io.charstream.model.Progress;
import io.charstream.model.SamplingOptions;
import io.charstream.model.SeedText;
import io.charstream.model.Tensor;
import io.charstream.model.TrainingConfig;
import io.charstream.model.TrainingListener;
import io.charstream.model.TrainingPosition;
import io.charstream.model.TrainingResult;
import io.charstream.model.Vocabulary;
import io.charstream.model.generation.GenerationModel;
import io.charstream.model.generation.TextGenerator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state and loop behind {@link CharRnnTrainer}: position (epoch, batch, step), the running loss
 * of the epoch, the RNG, and the network with its carried LSTM state and Adam state.
 */
final class TrainingSession {

  private static final Logger LOG = LoggerFactory.getLogger(TrainingSession.class);
  private static final long PROGRESS_INTERVAL_NANOS = 2_000_000_000L;

  /** Per-epoch sample: short, with the reference's generate defaults (top 3, temperature 1). */
  static final int SAMPLE_LENGTH = 256;

  private final ModelConfig modelConfig;
  private final TrainingConfig config;
  private final Vocabulary vocabulary;
  private final String corpus;
  private final CorpusReport report;
  private final StreamBatches batches;
  private final int[] valIds;
  private final TrainingStep step;
  private final List<Metrics> history;

  private int epoch;
  private int batch;
  private long globalStep;

  /**
   * SplitMix64 state: every draw (dropout seeds, sample seeds) advances it, so it resumes exactly.
   */
  private long rngState;

  private double epochLossSum;
  private double epochSeconds;

  private TrainingSession(
      ModelConfig modelConfig,
      TrainingConfig config,
      Vocabulary vocabulary,
      String corpus,
      MultiLayerNetwork net,
      List<Metrics> history) {
    this.modelConfig = modelConfig;
    this.config = config;
    this.vocabulary = vocabulary;
    this.corpus = corpus;
    this.history = new ArrayList<>(history);
    Vocabulary.Encoded encoded = vocabulary.encode(corpus);
    int[] ids = encoded.ids();
    int[][] split = split(ids, config);
    this.valIds = split[1];
    this.batches = new StreamBatches(split[0], config.batchSize(), config.seqLen());
    this.report =
        new CorpusReport(
            ids.length,
            split[0].length,
            valIds.length,
            batches.stepsPerEpoch(),
            encoded.unknownCount(),
            encoded.unknownCodePoints());
    this.step = new TrainingStep(net, config.batchSize(), config.seqLen(), config.clipNorm());
  }

  /**
   * {training ids, held-out ids}. TAIL trains on the first floor(n * (1 - valFraction)) ids and
   * holds out the rest, the end of the corpus, as nanoGPT's {@code data[:int(n*0.9)]} does (for
   * tinyshakespeare at 0.1: 1,003,854 trained on, the last 111,540 held out). BLOCKS cuts the
   * corpus into batchSize equal blocks and holds out the end of each (char-rnn's split), so the
   * training streams line up with the blocks and the held-out text is spread over the whole corpus.
   */
  static int[][] split(int[] ids, TrainingConfig config) {
    if (config.valSplit() == TrainingConfig.ValidationSplit.TAIL || config.valFraction() == 0.0) {
      int trainChars = (int) TrainingConfig.tailTrainingChars(ids.length, config.valFraction());
      return new int[][] {
        Arrays.copyOf(ids, trainChars), Arrays.copyOfRange(ids, trainChars, ids.length)
      };
    }
    int blocks = config.batchSize();
    int blockLength = ids.length / blocks;
    int heldOut = (int) Math.floor(blockLength * config.valFraction());
    int kept = blockLength - heldOut;
    int[] train = new int[blocks * kept];
    int[] val = new int[blocks * heldOut];
    for (int b = 0; b < blocks; b++) {
      System.arraycopy(ids, b * blockLength, train, b * kept, kept);
      System.arraycopy(ids, b * blockLength + kept, val, b * heldOut, heldOut);
    }
    return new int[][] {train, val};
  }

  static TrainingSession fresh(
      ModelConfig modelConfig,
      TrainingConfig trainingConfig,
      Vocabulary vocabulary,
      String corpus) {
    requireVocabularyFits(modelConfig, vocabulary);
    MultiLayerNetwork net = network(modelConfig, trainingConfig);
    TrainingSession s =
        new TrainingSession(modelConfig, trainingConfig, vocabulary, corpus, net, List.of());
    s.rngState = trainingConfig.seed();
    return s;
  }

  /** A fresh network of this model for this training run (its TBPTT length, Adam, seed). */
  private static MultiLayerNetwork network(ModelConfig modelConfig, TrainingConfig trainingConfig) {
    return CharRnnNetwork.create(
        modelConfig, trainingConfig.seqLen(), trainingConfig.learningRate(), trainingConfig.seed());
  }

  static TrainingSession resume(
      Checkpoint checkpoint, String corpus, TrainingConfig trainingConfig) {
    ModelConfig modelConfig = checkpoint.modelConfig();
    MultiLayerNetwork net = network(modelConfig, trainingConfig);
    CharRnnNetwork.importWeights(net, checkpoint.weights());
    TrainingSession s =
        new TrainingSession(
            modelConfig,
            trainingConfig,
            checkpoint.vocabulary(),
            corpus,
            net,
            checkpoint.history());
    TrainingPosition p = checkpoint.position();
    s.epoch = p.epoch();
    s.batch = p.batch();
    s.globalStep = p.globalStep();
    s.rngState = trainingConfig.seed() ^ p.globalStep();
    TrainingConfig old = checkpoint.trainingConfig();
    boolean sameData =
        old.batchSize() == trainingConfig.batchSize()
            && old.seqLen() == trainingConfig.seqLen()
            && old.valFraction() == trainingConfig.valFraction()
            && old.valSplit() == trainingConfig.valSplit();
    if (checkpoint.trainingState().isPresent()) {
      Checkpoint.TrainingState state = checkpoint.trainingState().get();
      s.step.setOptimizerState(state.arrays().get("adam.state"));
      s.rngState = state.rngState();
      if (sameData) {
        s.step.setRnnState(state.arrays());
        s.epochLossSum = state.epochLossSum();
        s.epochSeconds = state.epochSeconds();
      }
    }
    if (!sameData && s.batch != 0) {
      // Another batch layout makes the stream position meaningless: restart the epoch in progress.
      LOG.warn(
          "batch size, sequence length or validation split changed since the checkpoint:"
              + " restarting epoch {} from its first batch with a zero LSTM state",
          s.epoch + 1);
      s.batch = 0;
    }
    if (s.batch >= s.batches.stepsPerEpoch()) {
      s.epoch++;
      s.batch = 0;
      s.epochLossSum = 0;
      s.epochSeconds = 0;
    }
    return s;
  }

  private static void requireVocabularyFits(ModelConfig modelConfig, Vocabulary vocabulary) {
    if (modelConfig.vocabSize() != vocabulary.size()) {
      throw new IllegalArgumentException(
          "the model config has vocabSize "
              + modelConfig.vocabSize()
              + " but the vocabulary has "
              + vocabulary.size()
              + " ids");
    }
  }

  int stepsPerEpoch() {
    return batches.stepsPerEpoch();
  }

  CorpusReport corpusReport() {
    return report;
  }

  TrainingResult run(TrainingListener listener, BooleanSupplier cancelled) {
    long runStart = System.nanoTime();
    listener.onCorpusReport(report);
    int steps = batches.stepsPerEpoch();
    float[] features = new float[config.batchSize() * config.seqLen()];
    float[] labels = new float[features.length];
    EpochResult last = null;
    long lastProgress = System.nanoTime();
    RateMeter rate = new RateMeter();
    while (epoch < config.numEpochs()) {
      while (batch < steps) {
        if (cancelled.getAsBoolean()) {
          return new TrainingResult(true, checkpoint(), last, seconds(runStart));
        }
        long t0 = System.nanoTime();
        batches.fill(epoch, batch, features, labels);
        double learningRate = config.learningRateAt(globalStep, (long) config.numEpochs() * steps);
        double loss =
            step.step(
                features,
                labels,
                globalStep,
                epoch,
                nextRandom(),
                learningRate / config.learningRate());
        if (!Double.isFinite(loss)) {
          throw new io.charstream.model.TrainingDivergedException(
              "training diverged: the loss of epoch "
                  + (epoch + 1)
                  + " batch "
                  + (batch + 1)
                  + " is "
                  + loss
                  + "; lower --learning-rate or --clip-norm");
        }
        long t1 = System.nanoTime();
        epochLossSum += loss;
        epochSeconds += (t1 - t0) / 1e9;
        batch++;
        globalStep++;
        rate.record(t1 - t0, batches.charsPerEpoch() / steps);
        boolean epochDone = batch == steps;
        if (epochDone || t1 - lastProgress >= PROGRESS_INTERVAL_NANOS) {
          lastProgress = t1;
          long remaining = (long) (config.numEpochs() - epoch - 1) * steps + (steps - batch);
          listener.onProgress(
              new Progress(
                  epoch + 1,
                  config.numEpochs(),
                  batch,
                  steps,
                  globalStep,
                  epochLossSum / batch,
                  rate.charsPerSecond(),
                  remaining * rate.secondsPerBatch()));
        }
        if (!epochDone
            && config.checkpointEverySteps() > 0
            && batch % config.checkpointEverySteps() == 0) {
          listener.onCheckpoint(checkpoint());
        }
      }
      last = finishEpoch(listener);
    }
    return new TrainingResult(false, checkpoint(), last, seconds(runStart));
  }

  private EpochResult finishEpoch(TrainingListener listener) {
    int steps = batches.stepsPerEpoch();
    double trainLoss = epochLossSum / steps;
    double valLoss = ValidationLoss.of(step.network(), valIds, config.batchSize(), config.seqLen());
    double duration = epochSeconds;
    history.add(new Metrics(epoch + 1, globalStep, trainLoss, valLoss, duration));
    int finished = epoch + 1;
    epoch++;
    batch = 0;
    epochLossSum = 0;
    epochSeconds = 0;
    Checkpoint checkpoint = checkpoint();
    String prompt = "";
    String sample = "";
    SplittableRandom random = new SplittableRandom(nextRandom());
    if (corpus.codePointCount(0, corpus.length()) >= 3) {
      prompt = SeedText.randomSubstring(corpus, random);
      sample =
          new TextGenerator(GenerationModel.from(checkpoint))
              .generate(prompt, SAMPLE_LENGTH, SamplingOptions.withSeed(random.nextLong()));
    }
    EpochResult result =
        new EpochResult(
            finished, config.numEpochs(), duration, trainLoss, valLoss, globalStep, prompt, sample);
    listener.onEpochEnd(result, checkpoint);
    return result;
  }

  Checkpoint checkpoint() {
    Map<String, Tensor> arrays = new HashMap<>(step.rnnState());
    arrays.put("adam.state", step.optimizerState());
    Checkpoint.TrainingState state =
        new Checkpoint.TrainingState(arrays, rngState, epochLossSum, epochSeconds);
    return new Checkpoint(
        modelConfig,
        config,
        vocabulary,
        history,
        new TrainingPosition(epoch, batch, globalStep),
        CharRnnNetwork.exportWeights(step.network()),
        state);
  }

  /** SplitMix64. */
  private long nextRandom() {
    rngState += 0x9E3779B97F4A7C15L;
    long z = rngState;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  /** Training speed over the last few batches (exponential moving average). */
  private static final class RateMeter {
    private double secondsPerBatch = Double.NaN;
    private double charsPerBatch;

    void record(long nanos, long chars) {
      double s = nanos / 1e9;
      secondsPerBatch = Double.isNaN(secondsPerBatch) ? s : 0.9 * secondsPerBatch + 0.1 * s;
      charsPerBatch = chars;
    }

    double secondsPerBatch() {
      return secondsPerBatch;
    }

    double charsPerSecond() {
      return charsPerBatch / secondsPerBatch;
    }
  }
}
