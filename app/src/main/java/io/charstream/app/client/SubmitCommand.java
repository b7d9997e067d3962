package io.charstream.app.client;

import io.charstream.app.cli.ClientOptions;
import io.charstream.app.cli.Commands;
import io.charstream.app.cli.ProgressBar;
import io.charstream.app.cli.UserError;
import io.charstream.schemas.Topics;
import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.schemas.json.Checks;
import io.charstream.schemas.json.InvalidFieldException;
import io.charstream.schemas.message.LrSchedule;
import io.charstream.schemas.message.Preset;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.ValSplit;
import io.charstream.schemas.message.VocabularyMode;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code charstream submit}: publish a training request; prints the job id. */
@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Submit a training request to the trainers over Kafka and print its job id.",
      "Flags and defaults are the reference train command's; watch it with `charstream status --job-id ID --follow`."
    })
public final class SubmitCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ClientOptions client;

  @Option(
      names = "--model-id",
      required = true,
      paramLabel = "ID",
      description = "Model to train (checkpoints are published under it).")
  String modelId;

  @Option(
      names = "--corpus-id",
      required = true,
      paramLabel = "ID",
      description = "Corpus uploaded with `charstream corpus put`.")
  String corpusId;

  @Option(
      names = "--job-id",
      paramLabel = "ID",
      description = "Job id (default: <model-id>-<random>).")
  String jobId;

  @Option(
      names = "--seq-len",
      paramLabel = "N",
      description = "Sequence length (default " + TrainingRequest.DEFAULT_SEQ_LEN + ").")
  Integer seqLen;

  @Option(
      names = "--embedding-size",
      paramLabel = "N",
      description = "Embedding size (default " + TrainingRequest.DEFAULT_EMBEDDING_SIZE + ").")
  Integer embeddingSize;

  @Option(
      names = "--rnn-size",
      paramLabel = "N",
      description =
          "LSTM units per layer (default "
              + TrainingRequest.DEFAULT_RNN_SIZE
              + ", or the preset's).")
  Integer rnnSize;

  @Option(
      names = "--num-layers",
      paramLabel = "N",
      description = "LSTM layers (default " + TrainingRequest.DEFAULT_NUM_LAYERS + ").")
  Integer numLayers;

  @Option(
      names = "--drop-rate",
      paramLabel = "P",
      description = "Dropout (default " + TrainingRequest.DEFAULT_DROP_RATE + ", or the preset's).")
  Double dropRate;

  @Option(
      names = "--learning-rate",
      paramLabel = "LR",
      description =
          "Adam learning rate; the first step's with --lr-schedule cosine (default "
              + TrainingRequest.DEFAULT_LEARNING_RATE
              + ", or the preset's).")
  Double learningRate;

  @Option(
      names = "--clip-norm",
      paramLabel = "N",
      description =
          "Global gradient norm clip (default " + TrainingRequest.DEFAULT_CLIP_NORM + ").")
  Double clipNorm;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      description =
          "Batch size (default " + TrainingRequest.DEFAULT_BATCH_SIZE + ", or the preset's).")
  Integer batchSize;

  @Option(
      names = "--num-epochs",
      paramLabel = "N",
      description = "Epochs (default " + TrainingRequest.DEFAULT_NUM_EPOCHS + ").")
  Integer numEpochs;

  @Option(
      names = "--val-fraction",
      paramLabel = "F",
      description =
          "Held-out fraction for the validation loss (default "
              + TrainingRequest.DEFAULT_VAL_FRACTION
              + ").")
  Double valFraction;

  @Option(
      names = "--val-split",
      paramLabel = "tail|blocks",
      description =
          "tail: hold out the end of the corpus; blocks: the end of each of --batch-size equal blocks (char-rnn's split) (default tail).")
  ValSplit valSplit;

  @Option(
      names = "--lr-schedule",
      paramLabel = "constant|cosine",
      description =
          "constant, or cosine decay from --learning-rate to --final-learning-rate over all epochs (default constant, or the preset's).")
  LrSchedule lrSchedule;

  @Option(
      names = "--final-learning-rate",
      paramLabel = "LR",
      description =
          "Last step's learning rate with --lr-schedule cosine (default: the preset's, else --learning-rate / 20; ignored with constant).")
  Double finalLearningRate;

  @Option(
      names = "--preset",
      paramLabel = "reference|recommended",
      description =
          "Fill the flags not given from a recipe: reference (the reference's defaults) or recommended (2 x LSTM 256, dropout 0.05, batch 64, Adam 0.003 with cosine decay to 0.00015); flags given explicitly win (default: none, i.e. the reference's defaults).")
  Preset preset;

  @Option(
      names = "--vocabulary",
      paramLabel = "KIND",
      description =
          "reference (98 printable-ASCII ids, default) or learned (the corpus's characters).")
  VocabularyMode vocabulary;

  @Option(
      names = "--random-seed",
      paramLabel = "N",
      description =
          "Random seed of initialisation, dropout and samples, as train's (default: derived from the job id).")
  Long seed;

  @Option(names = "--restore", description = "Continue from the model's latest checkpoint.")
  Boolean restore;

  @Option(
      names = "--follow",
      description =
          "Then follow the job's status until it ends (exit 0 completed, 1 failed/rejected, 3 cancelled).")
  boolean follow;

  @Override
  public Integer call() {
    return Commands.run("submit", spec.commandLine().getErr(), this::submit);
  }

  private int submit() {
    TrainingRequest request;
    String id = jobId;
    try {
      Checks.id(modelId, "modelId"); // before a job id is made of it
      if (id == null) id = modelId + "-" + UUID.randomUUID().toString().substring(0, 8);
      request = request(id);
    } catch (InvalidFieldException e) {
      throw new UserError(
          flagOf(e.field()) + ": " + e.getMessage().replaceFirst("^field '[^']*': ", ""), e);
    }
    String job = id;
    EnvConfig config = client.config();
    Topics topics = CommonKeys.topics(config);
    StatusWatcher watcher = null;
    try {
      if (follow) {
        watcher = new StatusWatcher(config.kafkaClientProps(), topics, s -> s.jobId().equals(job));
        watcher.fromEnd();
      }
      TrainingRequests.send(config.kafkaClientProps(), topics.trainingRequests(), request);
      System.out.println(job);
      System.out.flush();
      return follow ? Follow.follow(watcher, job, System.out, ProgressBar.isTerminal()) : 0;
    } finally {
      if (watcher != null) watcher.close();
    }
  }

  /**
   * The request the flags describe: flags not given stay absent, so the record's defaults or, with
   * --preset, the trainer's preset fill them (the preset's numbers live in the engine).
   */
  TrainingRequest request(String id) {
    return new TrainingRequest(
        TrainingRequest.SCHEMA_VERSION,
        id,
        modelId,
        corpusId,
        seqLen,
        embeddingSize,
        rnnSize,
        numLayers,
        dropRate,
        learningRate,
        clipNorm,
        batchSize,
        numEpochs,
        valFraction,
        vocabulary,
        seed,
        restore,
        valSplit,
        lrSchedule,
        finalLearningRate,
        preset);
  }

  /** "rnnSize" -> "--rnn-size". */
  static String flagOf(String field) {
    return field == null
        ? "request"
        : "--" + field.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase();
  }
}
