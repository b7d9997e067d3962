package io.charstream.app.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** The tools the deploy/ tests run: required, never skipped when missing. */
final class Binaries {
  private Binaries() {}

  /**
   * {@code $variable} when set, else the first {@code name} on $PATH, else a failure that says
   * {@code howToGetIt}.
   */
  static Path find(String variable, String name, String howToGetIt) {
    String override = System.getenv(variable);
    if (override != null && !override.isBlank()) {
      Path p = Path.of(override);
      if (!Files.isExecutable(p)) {
        throw new AssertionError(variable + "=" + override + " is not an executable file");
      }
      return p;
    }
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
        return Path.of(dir, name);
      }
    }
    throw new AssertionError(name + " not found on PATH (" + path + "). " + howToGetIt);
  }
}
