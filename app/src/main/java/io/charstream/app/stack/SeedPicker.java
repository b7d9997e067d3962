package io.charstream.app.stack;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeds for a corpus the demo knows nothing about: the openings of a few of its lines, picked with
 * a seeded random source (as the reference's generate picks a random seed from {@code
 * --text-path}).
 */
final class SeedPicker {
  static final int MAX_CHARS = 20;

  private SeedPicker() {}

  /**
   * Up to {@code count} distinct line openings (at most {@value #MAX_CHARS} characters, cut at a
   * word end when there is one), in a random order fixed by {@code seed}.
   *
   * @param printableAsciiOnly skip lines with characters outside printable ASCII (the reference
   *     vocabulary, which the generator would refuse as unknown)
   */
  static List<String> lineStarts(String text, int count, long seed, boolean printableAsciiOnly) {
    List<String> candidates = new ArrayList<>();
    for (String line : text.split("\n")) {
      String s = opening(line.strip());
      if (s.length() >= 3
          && (!printableAsciiOnly || s.chars().allMatch(c -> c >= 0x20 && c < 0x7f))
          && !candidates.contains(s)) {
        candidates.add(s);
      }
    }
    Random random = new Random(seed);
    List<String> picked = new ArrayList<>();
    while (picked.size() < count && !candidates.isEmpty()) {
      picked.add(candidates.remove(random.nextInt(candidates.size())));
    }
    if (picked.isEmpty())
      picked.add(
          text.isEmpty()
              ? "The"
              : text.substring(
                  0,
                  text.offsetByCodePoints(0, Math.min(text.codePointCount(0, text.length()), 3))));
    return picked;
  }

  private static String opening(String line) {
    if (line.length() <= MAX_CHARS) return line;
    int cut = line.lastIndexOf(' ', MAX_CHARS);
    int end = cut > 0 ? cut : MAX_CHARS;
    if (Character.isHighSurrogate(line.charAt(end - 1))) end--;
    return line.substring(0, end);
  }
}
