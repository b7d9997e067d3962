package io.charstream.app.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.Main;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The reference's argparse flags (yxtay/char-rnn-text-generation, utils.py main()): every name,
 * default, required-ness and arity must be here, unchanged.
 */
class FlagParityTest {

  /** flag -> default ("" = required, no default; null = optional without default). */
  static final Map<String, String> TRAIN =
      Map.ofEntries(
          Map.entry("--checkpoint-path", ""),
          Map.entry("--text-path", ""),
          Map.entry("--restore", "null"),
          Map.entry("--seq-len", "64"),
          Map.entry("--embedding-size", "32"),
          Map.entry("--rnn-size", "128"),
          Map.entry("--num-layers", "2"),
          Map.entry("--drop-rate", "0.0"),
          Map.entry("--learning-rate", "0.001"),
          Map.entry("--clip-norm", "5.0"),
          Map.entry("--batch-size", "64"),
          Map.entry("--num-epochs", "32"),
          Map.entry("--log-path", "main.log"));

  static final Map<String, String> GENERATE =
      Map.of(
          "--checkpoint-path",
          "",
          "--text-path",
          "null",
          "--seed",
          "null",
          "--length",
          "1024",
          "--top-n",
          "3",
          "--log-path",
          "main.log");
  static final List<String> TRAIN_NEW =
      List.of(
          "--val-fraction",
          "--vocabulary",
          "--random-seed",
          "--checkpoint-every",
          "--preset",
          "--val-split",
          "--lr-schedule",
          "--final-learning-rate");
  static final List<String> GENERATE_NEW = List.of("--temperature", "--random-seed");

  static CommandSpec spec(String name) {
    return Main.newCommandLine().getSubcommands().get(name).getCommandSpec();
  }

  /** Each flag is there and documented: required, or optional with its default (see TRAIN). */
  static void assertReferenceFlags(CommandSpec command, Map<String, String> flags) {
    flags.forEach(
        (flag, expected) -> {
          OptionSpec o = command.findOption(flag);
          assertThat(o).as(flag).isNotNull();
          if (expected.isEmpty()) {
            assertThat(o.required()).as(flag + " is required").isTrue();
          } else {
            // An option of a required exclusive group (generate's --text-path | --seed) reports
            // required: the group's multiplicity says it.
            assertThat(o.required() && o.group() == null).as(flag + " is optional").isFalse();
            assertThat(String.valueOf(o.defaultValue())).as(flag + " default").isEqualTo(expected);
          }
          assertThat(o.description()).as(flag + " is documented").isNotEmpty();
        });
  }

  @Test
  void trainHasEveryReferenceFlagWithItsDefault() {
    CommandSpec train = spec("train");
    assertReferenceFlags(train, TRAIN);
    assertThat(train.findOption("--restore").arity().min).isZero();
    assertThat(train.findOption("--restore").arity().max).isEqualTo(1);
  }

  @Test
  void generateHasEveryReferenceFlagWithItsDefault() {
    CommandSpec generate = spec("generate");
    assertReferenceFlags(generate, GENERATE);
    // --text-path and --seed: one of them, exactly, as the reference's mutually exclusive group.
    CommandLine.Model.ArgGroupSpec group = generate.findOption("--seed").group();
    assertThat(group).isNotNull();
    assertThat(group.exclusive()).isTrue();
    assertThat(group.multiplicity().min).isEqualTo(1);
    assertThat(group.options().stream().map(OptionSpec::longestName).collect(Collectors.toSet()))
        .containsExactlyInAnyOrder("--text-path", "--seed");
  }

  @Test
  void newFlagsAreDocumentedInHelp() {
    String trainHelp = Main.newCommandLine().getSubcommands().get("train").getUsageMessage();
    String generateHelp = Main.newCommandLine().getSubcommands().get("generate").getUsageMessage();
    TRAIN.keySet().forEach(f -> assertThat(trainHelp).contains(f));
    TRAIN_NEW.forEach(f -> assertThat(trainHelp).contains(f));
    GENERATE.keySet().forEach(f -> assertThat(generateHelp).contains(f));
    GENERATE_NEW.forEach(f -> assertThat(generateHelp).contains(f));
  }
}
