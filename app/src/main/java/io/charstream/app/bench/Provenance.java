package io.charstream.app.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Where a measured build came from, for result files. */
public final class Provenance {

  private Provenance() {}

  /**
   * Where a measurement's code came from: the charstream version, and the git commit (and whether
   * the working tree had uncommitted changes) of the checkout the jar was built in, when it is one.
   */
  public static Map<String, Object> describe() {
    Map<String, Object> out = new LinkedHashMap<>();
    String version = Provenance.class.getPackage().getImplementationVersion();
    out.put("charstream_version", version == null ? "dev" : version);
    Path dir = codeLocation();
    String commit = dir == null ? null : git(dir, "rev-parse", "HEAD");
    out.put("git_commit", commit == null ? "unknown" : commit);
    String status =
        commit == null ? null : git(dir, "status", "--porcelain", "--untracked-files=no");
    out.put("git_dirty", status == null ? null : !status.isEmpty());
    return out;
  }

  private static Path codeLocation() {
    try {
      Path p =
          Path.of(Provenance.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return Files.isDirectory(p) ? p : p.getParent();
    } catch (Exception e) {
      return null;
    }
  }

  /**
   * One line of git's output in {@code dir}, "" for no output, null when git is missing or fails.
   */
  private static String git(Path dir, String... args) {
    java.util.List<String> command =
        new java.util.ArrayList<>(java.util.List.of("git", "-C", dir.toString()));
    command.addAll(java.util.List.of(args));
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(false)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      String output =
          new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
              .trim();
      if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        return null;
      }
      return output;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
