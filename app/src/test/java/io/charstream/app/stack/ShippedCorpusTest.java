package io.charstream.app.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The reference corpus ships in the checkout's data/ (so `charstream demo` works offline) and is
 * the file data/SHA256SUMS names, byte for byte.
 */
class ShippedCorpusTest {
  private static final Path DATA = Path.of("..", "data");

  @Test
  void tinyShakespeareShipsAndMatchesItsChecksum() throws Exception {
    Path corpus = DATA.resolve("tinyshakespeare.txt");
    assertThat(corpus).as("data/tinyshakespeare.txt is committed").isRegularFile();
    String expected =
        Files.readAllLines(DATA.resolve("SHA256SUMS")).stream()
            .filter(line -> line.endsWith("  tinyshakespeare.txt"))
            .map(line -> line.substring(0, 64))
            .findFirst()
            .orElseThrow(() -> new AssertionError("SHA256SUMS has no tinyshakespeare.txt line"));
    String actual =
        HexFormat.of()
            .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(corpus)));
    assertThat(actual).isEqualTo(expected);
    assertThat(Files.size(corpus)).isEqualTo(1_115_394L);
  }
}
