package io.charstream.app.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.charstream.app.cli.CliCommand;
import io.charstream.app.cli.Commands;
import io.charstream.app.cli.ConsoleProgress;
import io.charstream.app.cli.TrainingOptions;
import io.charstream.app.cli.UserError;
import io.charstream.model.Checkpoint;
import io.charstream.model.EpochResult;
import io.charstream.model.ModelConfig;
import io.charstream.model.Progress;
import io.charstream.model.TrainingConfig;
import io.charstream.model.TrainingListener;
import io.charstream.model.TrainingResult;
import io.charstream.model.Vocabulary;
import io.charstream.model.kernel.FusedRuntime;
import io.charstream.model.training.CharRnnTrainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code charstream bench table}: the reference's benchmark (32 epochs of the default spec) as a
 * result file with the loss curve, timings, configuration, commit and machine; or, with
 * --reproduce, the first epochs of a committed result re-run and compared.
 */
@Command(
    name = "table",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Train a preset (with any of train's training flags on top) for its epochs on a text and write the"
          + " benchmark table's result file (JSON, rewritten"
          + " after every epoch): per-epoch duration, training loss (mean per-character cross entropy over the"
          + " epoch, as the reference logs it), held-out validation loss, chars/s and peak memory; the exact"
          + " configuration, git commit and machine. Prints the result on stdout at the end.",
      "With --reproduce FILE: re-run the first --num-epochs epochs of FILE's configuration on the same text and"
          + " check that the losses match FILE's within --tolerance (exit 1 if not).",
      "With --markdown FILE...: print the README's table rows. With --plot SVG RESULT...: draw the RESULT files'"
          + " loss curves as an SVG image."
    })
public final class BenchTableCommand extends CliCommand {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Option(
      names = "--text-path",
      paramLabel = "FILE",
      description = "UTF-8 training text (required unless --markdown or --plot)")
  Path textPath;

  /**
   * The training flags of {@code train} (preset, network, optimiser, schedule, split): a recipe is
   * a preset with any of them on top, and the result file records the configuration that ran.
   * Unlike {@code train}, the split defaults to blocks (the committed results' split).
   */
  @Mixin TrainingOptions options;

  @Option(
      names = "--random-seed",
      defaultValue = "42",
      description = "seed of initialisation (default: ${DEFAULT-VALUE})")
  long randomSeed;

  @Option(
      names = "--out",
      paramLabel = "FILE",
      description = "result file (default: results/<text name>-<preset>.json)")
  Path out;

  @Option(
      names = "--checkpoint-path",
      paramLabel = "PATH",
      description =
          "also save the last checkpoint here, and the one with the best validation loss at PATH.best")
  Path checkpointPath;

  @Option(
      names = "--reproduce",
      paramLabel = "FILE",
      description =
          "re-run the first epochs of this result file's run and compare their losses with it")
  Path reproduce;

  @Option(
      names = "--markdown",
      arity = "1..*",
      paramLabel = "FILE",
      description = "print the README's table rows for these result files and exit (no training)")
  List<Path> markdown;

  @Option(
      names = "--plot",
      paramLabel = "SVG",
      description =
          "draw the loss curves of the RESULT files into this SVG file and exit (no training): held-out"
              + " and training loss against epoch, held-out loss against wall time, one colour per file")
  Path plot;

  @Parameters(
      arity = "0..*",
      paramLabel = "RESULT",
      description = "with --plot: the result files to draw (e.g. results/tinyshakespeare-*.json)")
  List<Path> plotted;

  @Option(
      names = "--tolerance",
      defaultValue = "0.01",
      description =
          "with --reproduce: largest accepted difference of a loss, in nats (default: ${DEFAULT-VALUE})")
  double tolerance;

  @Override
  protected int run(PrintWriter err) throws IOException {
    if (plot != null) {
      return plot(err);
    }
    if (plotted != null && !plotted.isEmpty()) {
      throw new UserError(
          "result files on their own are drawn by --plot (bench table --plot OUT.svg "
              + plotted.get(0)
              + " ...); --markdown takes its files after it");
    }
    if (markdown != null) {
      List<JsonNode> results = new ArrayList<>();
      for (Path file : markdown) {
        results.add(JSON.readTree(file.toFile()));
      }
      markdownRows(results).forEach(spec.commandLine().getOut()::println);
      return 0;
    }
    if (textPath == null) {
      throw new UserError(
          "--text-path is required (the text to train on, e.g. data/tinyshakespeare.txt)");
    }
    return reproduce != null ? reproduce(err) : table(err);
  }

  private int plot(PrintWriter err) {
    if (markdown != null || reproduce != null) {
      throw new UserError("--plot draws result files: give it no --markdown or --reproduce");
    }
    if (plotted == null || plotted.isEmpty()) {
      throw new UserError(
          "--plot needs result files to draw: bench table --plot " + plot + " results/*.json");
    }
    List<ResultCurves> curves = new ArrayList<>();
    for (Path file : plotted) {
      curves.add(ResultCurves.read(file));
    }
    String svg = LossPlot.svg(curves);
    try {
      writeAtomically(plot, svg);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write the plot " + plot + ": " + Commands.describe(e) + " (check --plot)", e);
    }
    err.println("plot of " + curves.size() + " result files written to " + plot);
    return 0;
  }

  /**
   * One README table row per result: corpus, system and preset, network and schedule, parameters,
   * held-out split, total duration, final training loss, final and best held-out loss, and the
   * machine's load while it ran.
   */
  static List<String> markdownRows(List<JsonNode> results) {
    List<String> rows = new ArrayList<>();
    for (JsonNode r : results) {
      JsonNode c = r.path("config");
      JsonNode epochs = r.path("epochs");
      String network =
          String.format(
              Locale.ROOT,
              "%d x LSTM %d%s, Adam %s %s%s",
              c.path("num_layers").asInt(),
              c.path("rnn_size").asInt(),
              c.path("drop_rate").asDouble() > 0 ? ", dropout " + plain(c.path("drop_rate")) : "",
              plain(c.path("learning_rate")),
              c.path("lr_schedule").asText(),
              c.path("lr_schedule").asText().equals("cosine")
                  ? " to " + plain(c.path("final_learning_rate"))
                  : "");
      JsonNode best = epochs.get(0);
      for (JsonNode e : epochs) {
        if (e.path("val_loss").asDouble() < best.path("val_loss").asDouble()) {
          best = e;
        }
      }
      JsonNode machine = r.path("machine");
      String load =
          machine.has("load_average_1m_end")
              ? String.format(
                  Locale.ROOT,
                  "load %.1f-%.1f",
                  machine.path("load_average_1m_start").asDouble(),
                  machine.path("load_average_1m_end").asDouble())
              : String.format(
                  Locale.ROOT,
                  "load %.1f at the start",
                  machine.path("load_average_1m").asDouble());
      String heldOut =
          String.format(
              Locale.ROOT,
              "%s %s %%",
              c.path("val_split").asText().equals("tail") ? "last" : c.path("val_split").asText(),
              plain(
                  java.math.BigDecimal.valueOf(
                      Math.round(c.path("val_fraction").asDouble() * 1000) / 10.0)));
      rows.add(
          String.format(
              Locale.ROOT,
              "| %s | %s %s | %s | %s | %s | %d | %,.0f s | %.3f | %.3f / %.3f (epoch %d) | %s, %s |",
              r.path("corpus").path("name").asText(),
              r.path("system").asText(),
              r.path("preset").asText(),
              network,
              c.has("parameters")
                  ? String.format(Locale.ROOT, "%,d", c.path("parameters").asLong())
                  : "-",
              heldOut,
              epochs.size(),
              r.path("total_duration_s").asDouble(),
              r.path("final_train_loss").asDouble(),
              r.path("final_val_loss").asDouble(),
              best.path("val_loss").asDouble(),
              best.path("epoch").asInt(),
              r.path("system").asText().equals("pytorch")
                  ? "torch "
                      + machine.path("torch").asText()
                      + ", "
                      + machine.path("threads").asInt()
                      + (machine.path("threads").asInt() == 1 ? " thread" : " threads")
                  : machine.path("native_build").asText()
                      + ", "
                      + c.path("layers").asText()
                      + " layers",
              load));
    }
    return rows;
  }

  private static String plain(JsonNode number) {
    return plain(java.math.BigDecimal.valueOf(number.asDouble()));
  }

  private static String plain(java.math.BigDecimal number) {
    return number.stripTrailingZeros().toPlainString();
  }

  private int table(PrintWriter err) throws IOException {
    if (!options.given("--val-split")) {
      options.valSplit = TrainingConfig.ValidationSplit.BLOCKS;
    }
    TrainingConfig training = options.trainingConfig(randomSeed, 0);
    Corpus corpus = Corpus.read(textPath);
    Vocabulary vocabulary = Vocabulary.forKind(options.vocabulary.json(), corpus.text());
    ModelConfig model = options.modelConfig(vocabulary.size());
    String recipe = options.preset.flag();
    Path file = out != null ? out : Path.of("results", corpus.name() + "-" + recipe + ".json");
    Map<String, Object> result =
        runTable(recipe, corpus, model, training, vocabulary, training.numEpochs(), file, err);
    spec.commandLine().getOut().println(JSON.writeValueAsString(result));
    return 0;
  }

  private int reproduce(PrintWriter err) throws IOException {
    JsonNode committed = JSON.readTree(reproduce.toFile());
    JsonNode config = committed.path("config");
    if (!committed.path("epochs").isArray() || config.isMissingNode()) {
      throw new UserError(reproduce + " is not a bench table result file (no config or epochs)");
    }
    Corpus corpus = Corpus.read(textPath);
    String sha = committed.path("corpus").path("sha256").asText();
    if (!sha.equals(corpus.sha256())) {
      throw new UserError(
          textPath
              + " is not the text "
              + reproduce
              + " was measured on (sha256 "
              + corpus.sha256()
              + ", the result says "
              + sha
              + "); get it with data/fetch.sh");
    }
    Vocabulary vocabulary =
        Vocabulary.forKind(
            config.path("vocabulary").asText(Vocabulary.KIND_REFERENCE), corpus.text());
    ModelConfig model =
        new ModelConfig(
            vocabulary.size(),
            config.path("embedding_size").asInt(),
            config.path("rnn_size").asInt(),
            config.path("num_layers").asInt(),
            config.path("drop_rate").asDouble());
    TrainingConfig training =
        TrainingConfig.builder()
            .seqLen(config.path("seq_len").asInt())
            .batchSize(config.path("batch_size").asInt())
            .numEpochs(config.path("num_epochs").asInt())
            .learningRate(config.path("learning_rate").asDouble())
            .clipNorm(config.path("clip_norm").asDouble())
            .valFraction(config.path("val_fraction").asDouble())
            .seed(config.path("seed").asLong())
            .valSplit(TrainingConfig.ValidationSplit.parse(config.path("val_split").asText()))
            .lrSchedule(
                TrainingConfig.LearningRateSchedule.parse(config.path("lr_schedule").asText()))
            .finalLearningRate(config.path("final_learning_rate").asDouble())
            .build();
    int epochs =
        Math.min(
            options.given("--num-epochs") ? options.numEpochs : 2, committed.path("epochs").size());
    Path file = Files.createTempFile("charstream-reproduce", ".json");
    try {
      Map<String, Object> rerun =
          runTable(
              committed.path("preset").asText(),
              corpus,
              model,
              training,
              vocabulary,
              epochs,
              file,
              err);
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> measured = (List<Map<String, Object>>) rerun.get("epochs");
      List<Map<String, Object>> rows = new ArrayList<>();
      boolean ok = measured.size() == epochs;
      for (int i = 0; i < measured.size(); i++) {
        JsonNode want = committed.path("epochs").get(i);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("epoch", i + 1);
        for (String key : List.of("train_loss", "val_loss")) {
          double expected = want.path(key).asDouble();
          double got = ((Number) measured.get(i).get(key)).doubleValue();
          row.put(key + "_committed", expected);
          row.put(key + "_measured", got);
          boolean close = Math.abs(expected - got) <= tolerance;
          ok &= close;
          row.put(key + "_within_tolerance", close);
        }
        rows.add(row);
      }
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("benchmark", "table-reproduce");
      report.put("result_file", reproduce.toString());
      report.put("reproduced", ok);
      report.put("tolerance", tolerance);
      report.put("epochs", rows);
      spec.commandLine().getOut().println(JSON.writeValueAsString(report));
      if (!ok) {
        err.println(
            "charstream bench table: the re-run differs from "
                + reproduce
                + " by more than "
                + tolerance
                + " nats (see the JSON above)");
      }
      return ok ? 0 : 1;
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /**
   * Trains {@code epochs} epochs of {@code training}, rewriting {@code file} after each; returns
   * the result.
   */
  private Map<String, Object> runTable(
      String presetName,
      Corpus corpus,
      ModelConfig model,
      TrainingConfig training,
      Vocabulary vocabulary,
      int epochs,
      Path file,
      PrintWriter err) {
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("benchmark", "table");
    result.put("system", "charstream");
    result.put("preset", presetName);
    result.put("corpus", corpus.describe());
    result.put("config", config(model, training, vocabulary));
    result.put(
        "command",
        // The parse result's arguments are the whole command line's, from "bench" on.
        "charstream " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
    result.putAll(Provenance.describe());
    result.put("machine", Machine.describe());
    result.put("started_at", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    List<Map<String, Object>> rows = new ArrayList<>();
    result.put("epochs", rows);
    CharRnnTrainer trainer = CharRnnTrainer.start(model, training, vocabulary, corpus.text());
    long charsPerEpoch = (long) trainer.stepsPerEpoch() * training.batchSize() * training.seqLen();
    ConsoleProgress progress = new ConsoleProgress(err, ConsoleProgress.isTerminal(), 30);
    long start = System.nanoTime();
    double[] best = {Double.POSITIVE_INFINITY};
    AtomicBoolean stop = new AtomicBoolean();
    TrainingResult end =
        trainer.run(
            new TrainingListener() {
              @Override
              public void onProgress(Progress p) {
                progress.update(p);
              }

              @Override
              public void onEpochEnd(EpochResult r, Checkpoint checkpoint) {
                progress.clear();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("epoch", r.epoch());
                row.put("duration_s", round(r.durationSeconds(), 3));
                row.put("train_loss", round(r.trainLoss(), 6));
                row.put("val_loss", Double.isNaN(r.valLoss()) ? null : round(r.valLoss(), 6));
                row.put(
                    "learning_rate",
                    training.learningRateAt(
                        r.globalStep() - 1, (long) training.numEpochs() * trainer.stepsPerEpoch()));
                row.put("chars_per_s", Math.round(charsPerEpoch / r.durationSeconds()));
                row.put("peak_rss_mb", Machine.memory().get("peak_rss_mb"));
                row.put("elapsed_s", round((System.nanoTime() - start) / 1e9, 3));
                rows.add(row);
                err.println(r.logLine());
                err.flush();
                if (checkpointPath != null) {
                  save(checkpoint, checkpointPath);
                  if (!Double.isNaN(r.valLoss()) && r.valLoss() < best[0]) {
                    save(
                        checkpoint,
                        checkpointPath.resolveSibling(checkpointPath.getFileName() + ".best"));
                  }
                }
                best[0] = Math.min(best[0], Double.isNaN(r.valLoss()) ? best[0] : r.valLoss());
                summarise(result, rows, start);
                write(file, result);
                if (r.epoch() >= epochs) {
                  stop.set(true);
                }
              }
            },
            stop::get);
    progress.clear();
    if (end.cancelled() && rows.size() < epochs) {
      throw new IllegalStateException(
          "training stopped after " + rows.size() + " of " + epochs + " epochs");
    }
    summarise(result, rows, start);
    write(file, result);
    err.println("result written to " + file);
    return result;
  }

  private static void summarise(
      Map<String, Object> result, List<Map<String, Object>> rows, long start) {
    result.put("total_duration_s", round((System.nanoTime() - start) / 1e9, 3));
    result.put(
        "train_duration_s",
        round(rows.stream().mapToDouble(r -> (Double) r.get("duration_s")).sum(), 3));
    Map<String, Object> last = rows.get(rows.size() - 1);
    result.put("final_train_loss", last.get("train_loss"));
    result.put("final_val_loss", last.get("val_loss"));
    Map<String, Object> bestVal = null;
    Map<String, Object> bestTrain = null;
    for (Map<String, Object> r : rows) {
      if (r.get("val_loss") != null
          && (bestVal == null || (Double) r.get("val_loss") < (Double) bestVal.get("val_loss"))) {
        bestVal = r;
      }
      if (bestTrain == null
          || (Double) r.get("train_loss") < (Double) bestTrain.get("train_loss")) {
        bestTrain = r;
      }
    }
    result.put(
        "best_val_loss", bestVal == null ? null : pick(bestVal, "epoch", "val_loss", "train_loss"));
    result.put("best_train_loss", pick(bestTrain, "epoch", "train_loss", "val_loss"));
    result.put("peak_rss_mb", Machine.memory().get("peak_rss_mb"));
    @SuppressWarnings("unchecked")
    Map<String, Object> machine = (Map<String, Object>) result.get("machine");
    // ND4J's native library loads with the first batch: known only now.
    machine.put("native_build", Machine.nativeBuild());
    machine.put("load_average_1m_end", Machine.loadAverage());
  }

  private static Map<String, Object> pick(Map<String, Object> row, String... keys) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (String k : keys) {
      out.put(k, row.get(k));
    }
    return out;
  }

  static Map<String, Object> config(
      ModelConfig model, TrainingConfig training, Vocabulary vocabulary) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("vocabulary", vocabulary.kind());
    c.put("vocab_size", model.vocabSize());
    c.put("embedding_size", model.embeddingSize());
    c.put("rnn_size", model.rnnSize());
    c.put("num_layers", model.numLayers());
    c.put("drop_rate", model.dropRate());
    c.put("parameters", model.parameterCount());
    c.put("seq_len", training.seqLen());
    c.put("batch_size", training.batchSize());
    c.put("num_epochs", training.numEpochs());
    c.put("learning_rate", training.learningRate());
    c.put("lr_schedule", training.lrSchedule().flag());
    c.put("final_learning_rate", training.finalLearningRate());
    c.put("clip_norm", training.clipNorm());
    c.put("val_fraction", training.valFraction());
    c.put("val_split", training.valSplit().flag());
    c.put("seed", training.seed());
    c.put("layers", FusedRuntime.options().layers().name().toLowerCase(java.util.Locale.ROOT));
    return c;
  }

  private static void write(Path file, Map<String, Object> result) {
    try {
      writeAtomically(file, JSON.writeValueAsString(result) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write the result file " + file + ": " + Commands.describe(e) + " (check --out)",
          e);
    }
  }

  /** Writes a temporary file beside {@code file} and renames it: readers never see half of it. */
  private static void writeAtomically(Path file, String content) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve(file.getFileName() + ".tmp");
    Files.writeString(tmp, content);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void save(Checkpoint checkpoint, Path path) {
    try {
      checkpoint.write(path);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot save the checkpoint to "
              + path
              + ": "
              + Commands.describe(e)
              + " (check --checkpoint-path)",
          e);
    }
  }

  private static double round(double value, int digits) {
    double scale = Math.pow(10, digits);
    return Math.round(value * scale) / scale;
  }

  /** The text, its name (file name without extension) and checksum. */
  record Corpus(Path path, String text, String sha256) {

    static Corpus read(Path path) {
      String text = Commands.readText(path, "--text-path");
      return new Corpus(path, text, sha256(text.getBytes(StandardCharsets.UTF_8)));
    }

    String name() {
      String file = path.getFileName().toString();
      int dot = file.lastIndexOf('.');
      return (dot > 0 ? file.substring(0, dot) : file).toLowerCase(Locale.ROOT);
    }

    Map<String, Object> describe() {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("name", name());
      c.put("file", path.getFileName().toString());
      c.put("chars", text.codePointCount(0, text.length()));
      c.put("sha256", sha256);
      return c;
    }

    private static String sha256(byte[] bytes) {
      try {
        return java.util.HexFormat.of()
            .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
