package io.charstream.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command's {@code --help} renders as written: picocli reads descriptions as format strings,
 * so a lone {@code %} prints a warning and the raw text instead.
 */
class HelpTextTest {

  @Test
  void everyCommandsHelpRendersWithoutFormatWarnings() {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    // Set before the command line is built: picocli's tracer keeps the System.err it finds then.
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      List<CommandLine> commands = new ArrayList<>();
      collect(Main.newCommandLine(), commands);
      assertThat(commands).hasSizeGreaterThan(10);
      for (CommandLine c : commands) {
        assertThat(c.getUsageMessage(CommandLine.Help.Ansi.OFF))
            .as(c.getCommandName())
            .contains("Usage:");
      }
    } finally {
      System.setErr(err);
    }
    assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("picocli WARN");
  }

  private static void collect(CommandLine c, List<CommandLine> out) {
    out.add(c);
    c.getSubcommands().values().stream().distinct().forEach(s -> collect(s, out));
  }
}
