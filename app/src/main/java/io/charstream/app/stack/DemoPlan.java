package io.charstream.app.stack;

import io.charstream.schemas.message.TrainingRequest;
import java.time.Duration;
import java.util.List;

/**
 * What one demo run does: which corpus it publishes (and how much of it), the training request it
 * submits, and the prompts it sends once the model is trained.
 *
 * @param maxCorpusChars publish at most this many characters of the file (cut at a line end); 0 =
 *     all
 * @param training the request to submit; its corpusId is the corpus published
 * @param seeds prompts, each continued by the model; every printed answer starts with its seed
 * @param length characters to generate per seed
 * @param topN sample among the n most probable characters (the reference's top-n)
 * @param randomSeed seed of the sampler (seed i uses randomSeed + i), so a rerun prints the same
 * @param acceptTimeout how long to wait for a trainer to accept the job before giving up
 * @param promptTimeout how long to wait for the answers
 */
public record DemoPlan(
    int maxCorpusChars,
    TrainingRequest training,
    List<String> seeds,
    int length,
    int topN,
    double temperature,
    long randomSeed,
    Duration acceptTimeout,
    Duration promptTimeout) {
  public DemoPlan {
    if (maxCorpusChars < 0)
      throw new IllegalArgumentException("--corpus-chars must be >= 0, got " + maxCorpusChars);
    if (training == null || training.jobId() == null) {
      throw new IllegalArgumentException(
          "the training request needs a jobId, to follow its status");
    }
    seeds = List.copyOf(seeds);
    if (seeds.isEmpty()) throw new IllegalArgumentException("give at least one --seed");
    for (String s : seeds) {
      if (s.isEmpty()) throw new IllegalArgumentException("--seed must not be empty");
    }
    if (length < 1) throw new IllegalArgumentException("--length must be >= 1, got " + length);
    if (topN < 1) throw new IllegalArgumentException("--top-n must be >= 1, got " + topN);
    if (!(temperature > 0))
      throw new IllegalArgumentException("--temperature must be > 0, got " + temperature);
  }

  /**
   * The first {@code maxCorpusChars} characters of {@code text} ending at a line end when there is
   * one (never inside a surrogate pair); all of it when the limit is 0 or not reached.
   */
  public String cut(String text) {
    return cut(text, maxCorpusChars);
  }

  /** {@link #cut(String)} with the limit given. */
  public static String cut(String text, int maxCorpusChars) {
    if (maxCorpusChars <= 0 || text.length() <= maxCorpusChars) return text;
    int end = maxCorpusChars;
    int nl = text.lastIndexOf('\n', end - 1);
    if (nl > end / 2) {
      end = nl + 1;
    } else if (Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end);
  }
}
