package io.charstream.generator;

import io.charstream.model.SamplingOptions;
import io.charstream.schemas.message.Priority;
import java.util.List;

/**
 * A generate request after validation of everything that does not depend on the model: what the
 * scheduler runs. The prompt is checked against the model's vocabulary once the model is known.
 *
 * @param modelId the model asked for (the configured default when the request named none)
 * @param modelVersion the pinned version, or null for the latest loaded version
 * @param length characters to generate (steps)
 * @param sampling top-n, temperature and the seed (the request's, or one derived from its
 *     requestId)
 * @param stop generation ends before the first of these strings; it is not part of the text
 * @param stream send partial chunks before the final record
 * @param timeoutMs deadline from the request record's timestamp, or null for none
 * @param priority which free slots it gets first ({@link AdmissionQueue})
 * @param n samples of the prompt, each in its own slot; sample i draws with the seed + i
 * @param logprobs alternatives per generated character whose log-probabilities the answer carries
 *     (0: no log-probabilities at all)
 */
record RequestSpec(
    String requestId,
    String prompt,
    int length,
    SamplingOptions sampling,
    String modelId,
    Long modelVersion,
    List<String> stop,
    boolean stream,
    Long timeoutMs,
    Priority priority,
    int n,
    int logprobs) {

  RequestSpec {
    if (requestId == null || requestId.isEmpty()) {
      throw new IllegalArgumentException("requestId must not be empty");
    }
    if (prompt == null || prompt.isEmpty()) {
      throw new IllegalArgumentException("prompt must not be empty");
    }
    if (length < 1) {
      throw new IllegalArgumentException("length must be at least 1, got " + length);
    }
    if (modelId == null || modelId.isEmpty()) {
      throw new IllegalArgumentException("modelId must not be empty");
    }
    priority = priority == null ? Priority.INTERACTIVE : priority;
    if (n < 1) {
      throw new IllegalArgumentException("n must be at least 1, got " + n);
    }
    if (logprobs < 0) {
      throw new IllegalArgumentException("logprobs must not be negative, got " + logprobs);
    }
    stop = List.copyOf(stop);
    for (String s : stop) {
      if (s.isEmpty()) {
        throw new IllegalArgumentException("stop strings must not be empty");
      }
    }
  }

  /** A request without the serving-contract options: no deadline, default priority, one sample. */
  RequestSpec(
      String requestId,
      String prompt,
      int length,
      SamplingOptions sampling,
      String modelId,
      Long modelVersion,
      List<String> stop,
      boolean stream) {
    this(
        requestId, prompt, length, sampling, modelId, modelVersion, stop, stream, null, null, 1, 0);
  }

  /** The sampling options of sample {@code i}: the request's, with its seed + i. */
  SamplingOptions sampling(int i) {
    return i == 0
        ? sampling
        : new SamplingOptions(sampling.topN(), sampling.temperature(), sampling.randomSeed() + i);
  }

  /** Length in chars of the longest stop string (0 without stop strings). */
  int longestStop() {
    int n = 0;
    for (String s : stop) {
      n = Math.max(n, s.length());
    }
    return n;
  }
}
