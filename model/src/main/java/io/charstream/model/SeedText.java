package io.charstream.model;

import java.util.random.RandomGenerator;

/** The reference's generate_seed: a random substring of 2, 4, 8, 16 or 32 characters of a text. */
public final class SeedText {

  private static final int[] LENGTHS = {2, 4, 8, 16, 32};

  private SeedText() {}

  /**
   * @throws IllegalArgumentException when the text has fewer than 3 characters (code points)
   */
  public static String randomSubstring(String text, RandomGenerator random) {
    int chars = text.codePointCount(0, text.length());
    if (chars < 3) {
      throw new IllegalArgumentException(
          "the text has " + chars + " characters; a seed needs at least 3");
    }
    int length = LENGTHS[random.nextInt(LENGTHS.length)];
    length = Math.min(length, chars - 1);
    int start = random.nextInt(chars - length);
    int from = text.offsetByCodePoints(0, start);
    int to = text.offsetByCodePoints(from, length);
    return text.substring(from, to);
  }
}
