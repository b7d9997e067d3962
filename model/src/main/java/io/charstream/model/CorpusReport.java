package io.charstream.model;

import java.util.Map;

/**
 * How the corpus was cut up, and what the vocabulary could not encode (those characters train as id
 * 0 = unknown, as in the reference).
 *
 * @param corpusChars code points in the corpus
 * @param trainChars code points used for training (corpus minus the validation tail)
 * @param valChars code points of the held-out validation tail
 * @param stepsPerEpoch batches per epoch: (trainChars - 1) / (batchSize * seqLen)
 * @param unknownCount characters outside the vocabulary
 * @param unknownCodePoints code point -> count, for the characters outside the vocabulary
 */
public record CorpusReport(
    long corpusChars,
    long trainChars,
    long valChars,
    int stepsPerEpoch,
    long unknownCount,
    Map<Integer, Long> unknownCodePoints) {
  public CorpusReport {
    unknownCodePoints = Map.copyOf(unknownCodePoints);
  }

  /** e.g. {@code 3 unknown characters: U+00E9 'é' x2, U+000D x1}; empty when there are none. */
  public String unknownSummary(int maxListed) {
    if (unknownCount == 0) {
      return "";
    }
    StringBuilder sb =
        new StringBuilder()
            .append(unknownCount)
            .append(" characters outside the vocabulary (trained as unknown):");
    unknownCodePoints.entrySet().stream()
        .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
        .limit(maxListed)
        .forEach(
            e -> {
              int cp = e.getKey();
              sb.append(String.format(java.util.Locale.ROOT, " U+%04X", cp));
              if (!Character.isISOControl(cp) && !Character.isWhitespace(cp)) {
                sb.append(" '").appendCodePoint(cp).append('\'');
              }
              sb.append(" x").append(e.getValue()).append(',');
            });
    sb.setLength(sb.length() - 1);
    if (unknownCodePoints.size() > maxListed) {
      sb.append(", ... (").append(unknownCodePoints.size() - maxListed).append(" more kinds)");
    }
    return sb.toString();
  }
}
