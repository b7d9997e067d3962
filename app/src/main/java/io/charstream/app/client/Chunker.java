package io.charstream.app.client;

import java.util.ArrayList;
import java.util.List;

/** Cuts text into pieces of at most {@code maxBytes} UTF-8 bytes, never inside a code point. */
public final class Chunker {
  private Chunker() {}

  public static List<String> split(String text, int maxBytes) {
    if (maxBytes < 4)
      throw new IllegalArgumentException("maxBytes must be >= 4 (one code point), got " + maxBytes);
    List<String> chunks = new ArrayList<>();
    int start = 0;
    int bytes = 0;
    int i = 0;
    while (i < text.length()) {
      int cp = text.codePointAt(i);
      int len = utf8Length(cp);
      if (bytes + len > maxBytes) {
        chunks.add(text.substring(start, i));
        start = i;
        bytes = 0;
      }
      bytes += len;
      i += Character.charCount(cp);
    }
    if (start < text.length() || chunks.isEmpty()) chunks.add(text.substring(start));
    return chunks;
  }

  static int utf8Length(int cp) {
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
}
