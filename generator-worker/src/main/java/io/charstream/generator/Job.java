package io.charstream.generator;

import org.apache.kafka.common.TopicPartition;

/**
 * One accepted request on its way through the worker: where it came from (for the offset commit),
 * the model it runs on, its slot, the text so far and its timings. Owned by the worker thread.
 */
final class Job {

  /** Why a request ended; the response's finish reason. */
  enum Finish {
    LENGTH,
    STOP
  }

  final RequestSpec spec;
  final TopicPartition source;
  final long offset;

  /** When the worker read the request (System.nanoTime). */
  final long receivedNanos;

  /**
   * Milliseconds from the request record's timestamp to when the worker read it (0 when the
   * timestamp is missing or ahead of this clock): timings count from the record timestamp.
   */
  long originDelayMs;

  /** Set once the model is known; the job finishes on this version even if a newer one arrives. */
  LoadedModel model;

  /** Prompt ids in {@link #model}'s vocabulary. */
  int[] promptIds;

  int slot = -1;
  long startedNanos;
  long firstCharNanos;
  long finishedNanos;

  /** Steps taken (one per generated character; an unknown id decodes to ""). */
  int steps;

  final StringBuilder text = new StringBuilder();
  Finish finish;

  /** Chars of {@link #text} already sent in chunks, and the next chunk's sequence number. */
  int streamed;

  int nextSeq;

  /** Set when the job can never run (its model is unknown, its prompt has unknown characters). */
  ErrorKind errorKind;

  String errorMessage;

  Job(RequestSpec spec, TopicPartition source, long offset, long receivedNanos) {
    this.spec = spec;
    this.source = source;
    this.offset = offset;
    this.receivedNanos = receivedNanos;
  }

  /**
   * Appends one generated character and says whether the request is now complete. A stop string is
   * cut off the text; it never reaches a chunk because {@link #takeChunk()} holds back enough
   * chars.
   */
  boolean append(String chars, long nowNanos) {
    if (steps == 0) {
      firstCharNanos = nowNanos;
    }
    steps++;
    text.append(chars);
    for (String s : spec.stop()) {
      int at = text.length() - s.length();
      if (at >= 0 && text.indexOf(s, at) == at) {
        text.setLength(at);
        return finish(Finish.STOP, nowNanos);
      }
    }
    return steps >= spec.length() && finish(Finish.LENGTH, nowNanos);
  }

  private boolean finish(Finish reason, long nowNanos) {
    finish = reason;
    finishedNanos = nowNanos;
    return true;
  }

  /**
   * Text generated since the last chunk, or null when there is none to send yet. While the request
   * runs, the last (longest stop - 1) chars stay back: they may turn out to start a stop string.
   */
  String takeChunk() {
    int end =
        finish != null
            ? text.length()
            : Math.max(streamed, text.length() - Math.max(0, spec.longestStop() - 1));
    if (end <= streamed) {
      return null;
    }
    // Never split a surrogate pair between two chunks.
    if (finish == null && end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
      if (end <= streamed) {
        return null;
      }
    }
    String chunk = text.substring(streamed, end);
    streamed = end;
    return chunk;
  }

  /** Marks the job as failed before it ran; it gets an error response instead of text. */
  void fail(ErrorKind kind, String message) {
    errorKind = kind;
    errorMessage = message;
  }

  /** Milliseconds from the request's record timestamp to {@code nanos}. */
  double sinceOriginMs(long nanos) {
    return originDelayMs + (nanos - receivedNanos) / 1e6;
  }

  boolean finished() {
    return finish != null;
  }

  @Override
  public String toString() {
    return "Job[" + spec.requestId() + " " + source + "@" + offset + "]";
  }
}
