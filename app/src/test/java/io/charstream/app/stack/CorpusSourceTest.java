package io.charstream.app.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding and fetching the demo's corpus, with real fetch scripts standing in for online and
 * offline.
 */
class CorpusSourceTest {
  @TempDir Path root;
  final ByteArrayOutputStream said = new ByteArrayOutputStream();
  final PrintStream out = new PrintStream(said, true, StandardCharsets.UTF_8);

  private void script(String body) throws Exception {
    Files.createDirectories(root.resolve("data"));
    Files.writeString(
        root.resolve(CorpusSource.FETCH_SCRIPT), "#!/usr/bin/env bash\nset -e\n" + body);
  }

  /** For the cases that must not download anything. */
  private static final CorpusSource.Fetcher MUST_NOT_FETCH =
      (script, name) -> {
        throw new AssertionError("must not fetch");
      };

  @Test
  void anExistingDefaultCorpusIsUsedWithoutFetching() throws Exception {
    Files.createDirectories(root.resolve("data"));
    Files.writeString(root.resolve("data/tinyshakespeare.txt"), "First Citizen:\n");
    CorpusSource source = new CorpusSource(root, MUST_NOT_FETCH, out);
    assertThat(source.resolve(null)).isEqualTo(root.resolve("data/tinyshakespeare.txt"));
  }

  @Test
  void aMissingDefaultCorpusIsFetchedByTheScript() throws Exception {
    // Stands in for the download: writes the file where data/fetch.sh would.
    script("printf 'First Citizen:\\n' > \"$(dirname \"$0\")/$1.txt\"\n");
    Path got = new CorpusSource(root, CorpusSource::runScript, out).resolve(null);
    assertThat(got).isEqualTo(root.resolve("data/tinyshakespeare.txt"));
    assertThat(Files.readString(got)).isEqualTo("First Citizen:\n");
    assertThat(said.toString(StandardCharsets.UTF_8)).contains("is missing: fetching it with");
  }

  @Test
  void offlineTheErrorSaysExactlyWhatToDo() throws Exception {
    script("echo 'tinyshakespeare: could not download' >&2\nexit 1\n");
    CorpusSource source = new CorpusSource(root, CorpusSource::runScript, out);
    assertThatThrownBy(() -> source.resolve(null))
        .isInstanceOf(DemoException.class)
        .hasMessageContaining("could not be fetched (offline?)")
        .hasMessageContaining(
            root.resolve(CorpusSource.FETCH_SCRIPT) + " --from DIR tinyshakespeare")
        .hasMessageContaining("charstream demo --text-path FILE");
  }

  @Test
  void aScriptThatSucceedsWithoutTheFileIsStillAFailure() throws Exception {
    script("exit 0\n");
    assertThatThrownBy(() -> new CorpusSource(root, CorpusSource::runScript, out).resolve(null))
        .isInstanceOf(DemoException.class)
        .hasMessageContaining("--from DIR");
  }

  @Test
  void withoutACheckoutThereIsNothingToFetchWith() {
    assertThatThrownBy(() -> new CorpusSource(null, (s, n) -> 0, out).resolve(null))
        .isInstanceOf(DemoException.class)
        .hasMessageContaining("no data/fetch.sh was found")
        .hasMessageContaining("--text-path FILE");
  }

  @Test
  void aGivenTextPathMustExistAndIsNeverFetched() throws Exception {
    CorpusSource source = new CorpusSource(root, MUST_NOT_FETCH, out);
    Path missing = root.resolve("nope.txt");
    assertThatThrownBy(() -> source.resolve(missing))
        .isInstanceOf(DemoException.class)
        .hasMessageContaining("--text-path " + missing + ": no such file");
    Path given = Files.writeString(root.resolve("mine.txt"), "text");
    assertThat(source.resolve(given)).isEqualTo(given);
  }
}
