package io.charstream.app.cli;

import io.charstream.app.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** {@code charstream ARGS} run in this JVM as {@link Main} runs it: its exit status and stderr. */
public record CliRun(int status, String err) {

  /** Runs the command line with {@code System.err} captured (commands and loggers write there). */
  public static CliRun run(String... args) {
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      return new CliRun(Main.newCommandLine().execute(args), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(saved);
    }
  }
}
