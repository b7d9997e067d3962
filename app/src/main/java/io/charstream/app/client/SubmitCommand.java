package io.charstream.app.client;

import io.charstream.app.cli.CliCommand;
import io.charstream.app.cli.ClientOptions;
import io.charstream.app.cli.ProgressBar;
import io.charstream.app.cli.TrainingOptions;
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
import java.io.PrintWriter;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code charstream submit}: publish a training request; prints the job id. */
@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Submit a training request to the trainers over Kafka and print its job id.",
      "Flags and defaults are the reference train command's; watch it with `charstream status --job-id ID --follow`."
    })
public final class SubmitCommand extends CliCommand {

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

  @Mixin TrainingOptions training;

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
  protected int run(PrintWriter err) {
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
    TrainingOptions t = training;
    return TrainingRequest.builder(modelId, corpusId)
        .jobId(id)
        .seqLen(t.ifGiven("--seq-len", t.seqLen))
        .embeddingSize(t.ifGiven("--embedding-size", t.embeddingSize))
        .rnnSize(t.ifGiven("--rnn-size", t.rnnSize))
        .numLayers(t.ifGiven("--num-layers", t.numLayers))
        .dropRate(t.ifGiven("--drop-rate", t.dropRate))
        .learningRate(t.ifGiven("--learning-rate", t.learningRate))
        .clipNorm(t.ifGiven("--clip-norm", t.clipNorm))
        .batchSize(t.ifGiven("--batch-size", t.batchSize))
        .numEpochs(t.ifGiven("--num-epochs", t.numEpochs))
        .valFraction(t.ifGiven("--val-fraction", t.valFraction))
        .vocabulary(t.given("--vocabulary") ? t.vocabulary : null)
        .seed(seed)
        .restore(restore)
        .valSplit(t.given("--val-split") ? ValSplit.valueOf(t.valSplit.name()) : null)
        .lrSchedule(t.given("--lr-schedule") ? LrSchedule.valueOf(t.lrSchedule.name()) : null)
        .finalLearningRate(t.finalLearningRate)
        .preset(t.given("--preset") ? Preset.valueOf(t.preset.name()) : null)
        .build();
  }

  /** "rnnSize" -> "--rnn-size". */
  static String flagOf(String field) {
    return field == null
        ? "request"
        : "--" + field.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase();
  }
}
