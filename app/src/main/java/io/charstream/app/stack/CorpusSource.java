package io.charstream.app.stack;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the demo's corpus. The default, {@code data/tinyshakespeare.txt} of the charstream
 * checkout, is fetched with the checkout's {@code data/fetch.sh} (which verifies its SHA-256) when
 * it is missing; when that fails (offline) the error says exactly what to do. A corpus given with
 * {@code --text-path} is never fetched.
 */
public final class CorpusSource {
  /** The default corpus, by its name in {@code data/fetch.sh}. */
  public static final String DEFAULT_NAME = "tinyshakespeare";

  static final String FETCH_SCRIPT = "data/fetch.sh";

  /** Runs the fetch script; a seam so tests can play the offline machine with a real process. */
  @FunctionalInterface
  public interface Fetcher {
    /**
     * @return the script's exit status
     */
    int fetch(Path script, String name) throws IOException, InterruptedException;
  }

  private final Path root;
  private final Fetcher fetcher;
  private final PrintStream out;

  /**
   * @param root the charstream checkout (holding {@code data/fetch.sh}), or null when there is none
   * @param out where to say that the corpus is being fetched
   */
  public CorpusSource(Path root, Fetcher fetcher, PrintStream out) {
    this.root = root;
    this.fetcher = fetcher;
    this.out = out;
  }

  /** Runs {@code bash data/fetch.sh NAME} with this process's terminal, so its messages show. */
  public static int runScript(Path script, String name) throws IOException, InterruptedException {
    return new ProcessBuilder("bash", script.toString(), name).inheritIO().start().waitFor();
  }

  /**
   * The checkout: the working directory when it holds {@code data/fetch.sh}, else the folder the
   * jar was built in ({@code <root>/app/target/charstream.jar}); null when neither does.
   */
  public static Path findRoot() {
    Path cwd = Path.of("").toAbsolutePath();
    if (Files.isRegularFile(cwd.resolve(FETCH_SCRIPT))) return cwd;
    try {
      Path code =
          Path.of(CorpusSource.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      for (Path p = code; p != null; p = p.getParent()) {
        if (Files.isRegularFile(p.resolve(FETCH_SCRIPT))) return p;
      }
    } catch (URISyntaxException | RuntimeException e) {
      // No usable code location (an unusual class loader): only the working directory counts.
    }
    return null;
  }

  /**
   * Where the default corpus lives: {@code <root>/data/tinyshakespeare.txt} (or relative to here).
   */
  public Path defaultPath() {
    return (root == null ? Path.of("data") : root.resolve("data")).resolve(DEFAULT_NAME + ".txt");
  }

  /**
   * The corpus file to read: {@code textPath} as given (it must exist), or the default, fetched
   * first when it is missing.
   *
   * @param textPath the user's {@code --text-path}, or null for the default
   * @throws DemoException saying what to do when the file is missing and cannot be had
   */
  public Path resolve(Path textPath) throws DemoException, InterruptedException {
    if (textPath != null) {
      if (!Files.isRegularFile(textPath)) {
        throw new DemoException(
            "--text-path "
                + textPath
                + ": no such file; give a UTF-8 text file, or leave "
                + "--text-path out to use "
                + defaultPath());
      }
      return textPath;
    }
    Path path = defaultPath();
    if (Files.isRegularFile(path)) return path;
    if (root == null) {
      throw new DemoException(
          "the default corpus "
              + path
              + " is missing and no "
              + FETCH_SCRIPT
              + " was found to fetch it (run charstream from its checkout), or give any UTF-8 text file with "
              + "--text-path FILE");
    }
    Path script = root.resolve(FETCH_SCRIPT);
    out.println("corpus " + path + " is missing: fetching it with " + script + " " + DEFAULT_NAME);
    int status;
    try {
      status = fetcher.fetch(script, DEFAULT_NAME);
    } catch (IOException e) {
      status = -1;
      out.println("could not run " + script + ": " + e.getMessage());
    }
    if (status == 0 && Files.isRegularFile(path)) return path;
    throw new DemoException(offlineHelp(path, script));
  }

  static String offlineHelp(Path path, Path script) {
    return "the default corpus "
        + path
        + " is missing and could not be fetched (offline?). Either\n"
        + "  - copy tinyshakespeare.txt (karpathy/char-rnn, data/tinyshakespeare/input.txt) from another machine\n"
        + "    into a folder DIR here and run: "
        + script
        + " --from DIR "
        + DEFAULT_NAME
        + "   (it checks the SHA-256), then run the demo again; or\n"
        + "  - run the demo on any UTF-8 text file you have: charstream demo --text-path FILE";
  }
}
