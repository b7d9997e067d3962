package io.charstream.app.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChunkerTest {
  /**
   * The naive twin: encode each code point and start a new chunk when the next one does not fit.
   */
  static List<String> naive(String text, int maxBytes) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    int bytes = 0;
    for (int cp : text.codePoints().toArray()) {
      int len = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
      if (bytes + len > maxBytes) {
        out.add(cur.toString());
        cur.setLength(0);
        bytes = 0;
      }
      cur.appendCodePoint(cp);
      bytes += len;
    }
    if (cur.length() > 0 || out.isEmpty()) out.add(cur.toString());
    return out;
  }

  @Test
  void matchesTheNaiveSplitterOnMixedScripts() {
    Random r = new Random(7);
    int[] pool = {'a', 'Z', '\n', 0xE9, 0x3B1, 0x4E2D, 0x1F600, 0x10348};
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 5000; i++) sb.appendCodePoint(pool[r.nextInt(pool.length)]);
    String text = sb.toString();
    for (int max : new int[] {4, 5, 7, 64, 1000, 100_000}) {
      List<String> chunks = Chunker.split(text, max);
      assertThat(chunks).isEqualTo(naive(text, max));
      assertThat(String.join("", chunks)).isEqualTo(text);
      assertThat(chunks)
          .allSatisfy(
              c -> {
                assertThat(c.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(max);
                assertThat(Character.isLowSurrogate(c.charAt(0))).isFalse();
              });
    }
  }

  @Test
  void tinyShakespeareSizedTextGivesFiveChunksOf256KiB() {
    String text = "x".repeat(1_115_394);
    assertThat(Chunker.split(text, CorpusUploader.CHUNK_BYTES)).hasSize(5);
  }

  @Test
  void invalidUtf8IsRefusedWithAHint() {
    byte[] latin1 = "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> CorpusUploader.decodeUtf8(latin1, "f.txt"))
        .hasMessageContaining("not valid UTF-8")
        .hasMessageContaining("iconv");
  }
}
