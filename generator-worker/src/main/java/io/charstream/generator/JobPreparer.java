package io.charstream.generator;

import io.charstream.generator.ModelRegistry.Pending;
import io.charstream.generator.ModelRegistry.Ready;
import io.charstream.generator.ModelRegistry.Resolution;
import io.charstream.generator.ModelRegistry.Unknown;
import io.charstream.generator.SlotScheduler.Readiness;
import io.charstream.model.Vocabulary;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The checks that need the model: resolves a job's model (pinned version or latest), and encodes
 * its prompt with that model's vocabulary, refusing characters the model has never seen (they would
 * silently become the "unknown" id and steer the text).
 */
final class JobPreparer implements SlotScheduler.Preparer {

  private final ModelRegistry registry;
  private final long waitNanos;

  /**
   * @param waitMs how long a request for a model or version not seen yet waits for it (a checkpoint
   *     announced a moment before the request may not have reached this worker) before it fails
   */
  JobPreparer(ModelRegistry registry, long waitMs) {
    this.registry = registry;
    this.waitNanos = waitMs * 1_000_000L;
  }

  @Override
  public Readiness prepare(Job job) {
    Resolution r = registry.resolve(job.spec().modelId(), job.spec().modelVersion());
    if (r instanceof Pending) {
      return Readiness.WAIT;
    }
    if (r instanceof Unknown u) {
      if (System.nanoTime() - job.receivedNanos() < waitNanos && !u.failed()) {
        return Readiness.WAIT;
      }
      job.fail(ErrorKind.UNKNOWN_MODEL, u.message());
      return Readiness.FAILED;
    }
    LoadedModel model = ((Ready) r).model();
    Vocabulary.Encoded encoded = model.model().vocabulary().encode(job.spec().prompt());
    if (encoded.unknownCount() > 0) {
      job.fail(
          ErrorKind.UNKNOWN_CHARACTERS,
          "prompt has "
              + encoded.unknownCount()
              + " character(s) outside the vocabulary of model '"
              + model.modelId()
              + "' version "
              + model.version()
              + ": "
              + describe(encoded.unknownCodePoints())
              + "; remove or replace them");
      return Readiness.FAILED;
    }
    job.prepare(model, model.model().vocabulary().primed(encoded.ids()));
    return Readiness.READY;
  }

  /** "'é' (U+00E9) x2, ..." for at most 10 distinct code points. */
  static String describe(Map<Integer, Long> unknown) {
    String shown =
        unknown.entrySet().stream()
            .limit(10)
            .map(
                e ->
                    "'"
                        + printable(e.getKey())
                        + "' (U+"
                        + String.format("%04X", e.getKey())
                        + ") x"
                        + e.getValue())
            .collect(Collectors.joining(", "));
    return unknown.size() > 10 ? shown + ", ... (" + unknown.size() + " distinct)" : shown;
  }

  private static String printable(int cp) {
    return Character.isISOControl(cp)
            || !Character.isValidCodePoint(cp)
            || (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE)
        ? "?"
        : new String(Character.toChars(cp));
  }
}
