package io.charstream.app.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.Main;
import io.charstream.app.cli.CliRun;
import io.charstream.schemas.message.LrSchedule;
import io.charstream.schemas.message.Preset;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.ValSplit;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Bad flags and files stop the client commands before they touch Kafka, with a one-line reason. */
class ClientCommandsTest {
  /** Runs the command against an address nothing listens on: it must fail before it connects. */
  static CliRun run(String... args) {
    String[] full = Arrays.copyOf(args, args.length + 2);
    full[args.length] = "--bootstrap-servers";
    full[args.length + 1] = "127.0.0.1:1";
    return CliRun.run(full);
  }

  @Test
  void submitRejectsAnAbsurdHyperparameterNamingTheFlag() {
    CliRun r = submit("--batch-size", "0");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("--batch-size").contains("must be >= 1");
    CliRun drop = submit("--drop-rate", "1.5");
    assertThat(drop.err()).contains("--drop-rate");
    CliRun id = run("submit", "--model-id", "bad id", "--corpus-id", "c");
    assertThat(id.status()).isEqualTo(2);
    assertThat(id.err()).contains("--model-id").contains("not a valid id");
  }

  /** {@code charstream submit} of model m on corpus c with {@code flags}. */
  static CliRun submit(String... flags) {
    return run(
        Stream.concat(Stream.of("submit"), Stream.of(modelMOnCorpusC(flags)))
            .toArray(String[]::new));
  }

  /** {@code charstream submit}'s flags for model m on corpus c and {@code flags}, parsed. */
  static SubmitCommand parsedSubmit(String... flags) {
    SubmitCommand command = new SubmitCommand();
    new CommandLine(command)
        .setCaseInsensitiveEnumValuesAllowed(true)
        .parseArgs(modelMOnCorpusC(flags)); // as Main sets it
    return command;
  }

  private static String[] modelMOnCorpusC(String... flags) {
    return Stream.concat(Stream.of("--model-id", "m", "--corpus-id", "c"), Stream.of(flags))
        .toArray(String[]::new);
  }

  @Test
  void submitWithoutTheNewFlagsSendsTheOldRequest() {
    TrainingRequest r = parsedSubmit().request("j");
    assertThat(r).isEqualTo(TrainingRequest.defaults("j", "m", "c"));
    assertThat(r.valSplit()).isEqualTo(ValSplit.TAIL);
    assertThat(r.lrSchedule()).isEqualTo(LrSchedule.CONSTANT);
    assertThat(r.finalLearningRate()).isNull();
    assertThat(r.preset()).isNull();
  }

  @Test
  void submitMapsPresetSplitAndScheduleFlagsOntoTheRequest() {
    TrainingRequest all =
        parsedSubmit(
                "--preset",
                "recommended",
                "--val-split",
                "blocks",
                "--lr-schedule",
                "cosine",
                "--final-learning-rate",
                "0.0002",
                "--rnn-size",
                "64")
            .request("j");
    assertThat(all.preset()).isEqualTo(Preset.RECOMMENDED);
    assertThat(all.valSplit()).isEqualTo(ValSplit.BLOCKS);
    assertThat(all.lrSchedule()).isEqualTo(LrSchedule.COSINE);
    assertThat(all.finalLearningRate()).isEqualTo(0.0002);
    assertThat(all.rnnSize()).isEqualTo(64);
    // Flags not given stay absent: the trainer fills them from the preset (explicit flags win).
    TrainingRequest preset = parsedSubmit("--preset", "recommended").request("j");
    assertThat(preset.rnnSize()).isNull();
    assertThat(preset.learningRate()).isNull();
    assertThat(preset.lrSchedule()).isNull();
    assertThat(preset.resolved()).isFalse();
    // Without a preset, cosine decays to a twentieth of the learning rate.
    assertThat(
            parsedSubmit("--lr-schedule", "cosine", "--learning-rate", "0.002")
                .request("j")
                .finalLearningRate())
        .isEqualTo(0.002 / 20);
  }

  @Test
  void submitRejectsBadPresetSplitAndScheduleValuesNamingTheFlag() {
    CliRun split = submit("--val-split", "random");
    assertThat(split.status()).isEqualTo(2);
    assertThat(split.err()).contains("--val-split").contains("TAIL").contains("BLOCKS");
    CliRun preset = submit("--preset", "fastest");
    assertThat(preset.status()).isEqualTo(2);
    assertThat(preset.err()).contains("--preset").contains("'recommended'", "'large'");
    CliRun schedule = submit("--lr-schedule", "linear");
    assertThat(schedule.err()).contains("--lr-schedule").contains("COSINE");
    CliRun above = submit("--lr-schedule", "cosine", "--final-learning-rate", "0.01");
    assertThat(above.status()).isEqualTo(2);
    assertThat(above.err()).contains("--final-learning-rate").contains("learningRate = 0.001");
    CliRun zero = submit("--final-learning-rate", "0");
    assertThat(zero.status()).isEqualTo(2);
    assertThat(zero.err()).contains("--final-learning-rate").contains("> 0");
  }

  @Test
  void submitDocumentsTheNewFlagsInHelp() {
    String help =
        Main.newCommandLine()
            .getSubcommands()
            .get("submit")
            .getUsageMessage()
            .replaceAll("\\s+", " ");
    for (String flag :
        new String[] {"--preset", "--val-split", "--lr-schedule", "--final-learning-rate"}) {
      assertThat(help).contains(flag);
    }
    assertThat(help)
        .contains("default tail")
        .contains("default constant")
        .contains("--learning-rate / 20");
  }

  @Test
  void corpusPutRefusesMissingEmptyAndNonUtf8Files(@TempDir Path dir) throws Exception {
    assertThat(run("corpus", "put", "--corpus-id", "c", dir.resolve("nope.txt").toString()).err())
        .contains("cannot read");
    Path empty = Files.writeString(dir.resolve("empty.txt"), "");
    assertThat(run("corpus", "put", "--corpus-id", "c", empty.toString()).err())
        .contains("is empty");
    Path latin1 =
        Files.write(dir.resolve("latin1.txt"), "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
    CliRun r = run("corpus", "put", "--corpus-id", "c", latin1.toString());
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("not valid UTF-8");
    assertThat(run("corpus", "put", "--corpus-id", "no spaces", latin1.toString()).err())
        .contains("not a valid id");
  }

  @Test
  void trainerRefusesABadConfigFileAtStartUp(@TempDir Path dir) throws Exception {
    Path config = Files.writeString(dir.resolve("trainer.properties"), "max.concurrent.jobs=0\n");
    CliRun r = run("trainer", "--config", config.toString());
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("max.concurrent.jobs").contains("trainer.properties");
    Path typo = Files.writeString(dir.resolve("typo.properties"), "max.concurent.jobs=2\n");
    assertThat(run("trainer", "--config", typo.toString()).err())
        .contains("unknown config key 'max.concurent.jobs'");
  }

  @Test
  void trainerPrintsItsConfigTable() {
    PrintStream saved = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertThat(Main.newCommandLine().execute("trainer", "--config-doc")).isZero();
    } finally {
      System.setOut(saved);
    }
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("`training-state.every.steps`")
        .contains("CHARSTREAM_MAX_CONCURRENT_JOBS");
  }
}
