package io.charstream.app.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs promtool, Prometheus's own checker of rule files and runner of their unit tests. Required:
 * when it is missing the tests fail with the way to get it, they never skip (set {@code PROMTOOL}
 * to use another binary).
 */
final class Promtool {
  private static final long TIMEOUT_S = 120;

  private Promtool() {}

  static Path binary() {
    return Binaries.find(
        "PROMTOOL",
        "promtool",
        "The monitoring tests check deploy/monitoring with it: run `bash"
            + " deploy/ci-install-promtool.sh`, or point PROMTOOL at a promtool binary.");
  }

  /** Runs {@code promtool args...} in {@code dir}; its output, or a failure that shows it. */
  static String run(Path dir, String... args) {
    List<String> command = new ArrayList<>();
    command.add(binary().toString());
    command.addAll(List.of(args));
    try {
      Process p =
          new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(
            String.join(" ", command) + " did not finish in " + TIMEOUT_S + " s");
      }
      String text = new String(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new AssertionError(
            String.join(" ", command) + " failed (exit " + p.exitValue() + "):\n" + text);
      }
      return text;
    } catch (IOException e) {
      throw new UncheckedIOException("could not run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running " + command, e);
    }
  }
}
