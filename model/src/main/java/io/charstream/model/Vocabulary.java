package io.charstream.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * An immutable mapping between Unicode code points and model ids. Id 0 always means "unknown":
 * every code point outside the vocabulary encodes to it (and is counted), and it decodes to the
 * empty string, as in the reference.
 */
public final class Vocabulary {

  /** The id of every character outside the vocabulary. */
  public static final int UNKNOWN_ID = 0;

  public static final String KIND_REFERENCE = "reference";
  public static final String KIND_LEARNED = "learned";

  /** The result of encoding text: ids, and what could not be encoded (code point -> count). */
  public record Encoded(int[] ids, long unknownCount, Map<Integer, Long> unknownCodePoints) {
    public Encoded {
      unknownCodePoints = Collections.unmodifiableMap(new TreeMap<>(unknownCodePoints));
    }
  }

  private static final Vocabulary REFERENCE = new Vocabulary(referenceCodePoints());

  /** codePoints[id - 1] is the code point of id; sorted ascending. */
  private final int[] codePoints;

  /** Fast path for code points below 128: id, or UNKNOWN_ID. */
  private final int[] asciiIds = new int[128];

  private final String[] decoded;
  private final String kind;

  private Vocabulary(int[] sortedCodePoints) {
    this.codePoints = sortedCodePoints;
    for (int i = 0; i < sortedCodePoints.length; i++) {
      if (sortedCodePoints[i] < 128) {
        asciiIds[sortedCodePoints[i]] = i + 1;
      }
    }
    decoded = new String[sortedCodePoints.length + 1];
    decoded[UNKNOWN_ID] = "";
    for (int i = 0; i < sortedCodePoints.length; i++) {
      decoded[i + 1] = new String(Character.toChars(sortedCodePoints[i]));
    }
    // REFERENCE is null only while the reference itself is being built.
    boolean isReference =
        REFERENCE == null || Arrays.equals(sortedCodePoints, REFERENCE.codePoints);
    kind = isReference ? KIND_REFERENCE : KIND_LEARNED;
  }

  /** The reference's 98 ids: 0 = unknown, then printable ASCII without \x0b \x0c \r, sorted. */
  public static Vocabulary reference() {
    return REFERENCE;
  }

  /**
   * The code points that occur in {@code text}, sorted, after id 0 = unknown. Unpaired surrogates
   * are not characters and are never learned (they encode to unknown).
   */
  public static Vocabulary learn(CharSequence text) {
    int[] seen = text.codePoints().filter(Vocabulary::isCharacter).distinct().sorted().toArray();
    return new Vocabulary(seen);
  }

  /** A vocabulary from its code points in id order (ids 1..n), e.g. as stored in a checkpoint. */
  public static Vocabulary ofCodePoints(List<Integer> codePoints) {
    int[] cps = codePoints.stream().mapToInt(Integer::intValue).toArray();
    for (int i = 0; i < cps.length; i++) {
      if (!isCharacter(cps[i])) {
        throw new IllegalArgumentException(
            "vocabulary code point "
                + cps[i]
                + " (at id "
                + (i + 1)
                + ") is not a Unicode character");
      }
      if (i > 0 && cps[i] <= cps[i - 1]) {
        throw new IllegalArgumentException(
            "vocabulary code points must be strictly ascending, but id "
                + (i + 1)
                + " has "
                + cps[i]
                + " after "
                + cps[i - 1]);
      }
    }
    if (Arrays.equals(cps, REFERENCE.codePoints)) {
      return REFERENCE;
    }
    return new Vocabulary(cps);
  }

  /** Picks a vocabulary by kind name: "reference" or "learned" (learned from {@code corpus}). */
  public static Vocabulary forKind(String kind, CharSequence corpus) {
    return switch (kind) {
      case KIND_REFERENCE -> reference();
      case KIND_LEARNED -> learn(corpus);
      default ->
          throw new IllegalArgumentException(
              "unknown vocabulary kind '" + kind + "': use 'reference' or 'learned'");
    };
  }

  private static boolean isCharacter(int cp) {
    return Character.isValidCodePoint(cp)
        && !(cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE);
  }

  private static int[] referenceCodePoints() {
    // Python's string.printable is digits, letters, punctuation and " \t\n\r\x0b\x0c"; the
    // reference
    // drops \x0b \x0c \r, leaving \t, \n and 0x20..0x7e, sorted.
    IntStream printable = IntStream.rangeClosed(0x20, 0x7e);
    return IntStream.concat(IntStream.of('\t', '\n'), printable).toArray();
  }

  /** Number of ids, including id 0 = unknown. */
  public int size() {
    return codePoints.length + 1;
  }

  /** The code points of ids 1..size()-1, in id order (id 0, unknown, has none). */
  public List<Integer> codePoints() {
    List<Integer> list = new ArrayList<>(codePoints.length);
    for (int cp : codePoints) {
      list.add(cp);
    }
    return Collections.unmodifiableList(list);
  }

  public boolean contains(int codePoint) {
    return id(codePoint) != UNKNOWN_ID;
  }

  /** The id of {@code codePoint}, or {@link #UNKNOWN_ID}. */
  public int id(int codePoint) {
    if (codePoint >= 0 && codePoint < 128) {
      return asciiIds[codePoint];
    }
    int i = Arrays.binarySearch(codePoints, codePoint);
    return i >= 0 ? i + 1 : UNKNOWN_ID;
  }

  /** One id per code point of {@code text} (a surrogate pair is one character). */
  /**
   * What generation reads before every prompt: a line break. A model trained as the reference
   * trains, with the LSTM state carried across every batch and epoch, has started from a zero state
   * only once, at its first batch; from a zero state a prompt such as "KING" can throw a
   * well-trained model into a loop of capital letters, while after a line break (where lines,
   * speaker names and paragraphs start in a text) it continues the prompt as the corpus would.
   */
  public static final String PROMPT_PRIMER = "\n";

  /**
   * The ids generation feeds for {@code promptIds}: {@link #PROMPT_PRIMER}'s, then the prompt's
   * (the prompt alone when this vocabulary has no line break).
   */
  public int[] primed(int[] promptIds) {
    if (!contains('\n')) {
      return promptIds;
    }
    int[] out = new int[promptIds.length + 1];
    out[0] = id('\n');
    System.arraycopy(promptIds, 0, out, 1, promptIds.length);
    return out;
  }

  public Encoded encode(CharSequence text) {
    int[] ids = new int[text.length()];
    int n = 0;
    long unknown = 0;
    Map<Integer, Long> unknowns = new TreeMap<>();
    for (int i = 0; i < text.length(); ) {
      int cp = Character.codePointAt(text, i);
      i += Character.charCount(cp);
      int id = id(cp);
      if (id == UNKNOWN_ID) {
        unknown++;
        unknowns.merge(cp, 1L, Long::sum);
      }
      ids[n++] = id;
    }
    return new Encoded(n == ids.length ? ids : Arrays.copyOf(ids, n), unknown, unknowns);
  }

  /** The text of one id; "" for id 0 (unknown). */
  public String decode(int id) {
    if (id < 0 || id >= decoded.length) {
      throw new IllegalArgumentException(
          "id " + id + " is outside this vocabulary of " + size() + " ids");
    }
    return decoded[id];
  }

  public String decode(int[] ids) {
    StringBuilder sb = new StringBuilder(ids.length);
    for (int id : ids) {
      sb.append(decode(id));
    }
    return sb.toString();
  }

  /** "reference" when this is the reference's vocabulary, else "learned". */
  public String kind() {
    return kind;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Vocabulary v && Arrays.equals(codePoints, v.codePoints);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(codePoints);
  }

  @Override
  public String toString() {
    return "Vocabulary[" + kind + ", " + size() + " ids]";
  }
}
