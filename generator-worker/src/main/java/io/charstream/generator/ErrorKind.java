package io.charstream.generator;

/**
 * Why a request got an error response or went to the dead-letter topic; the {@link #code()} is the
 * response's {@code error.code}, the dead-letter header and the {@code kind} tag of the error
 * metric.
 */
enum ErrorKind {
  /** Not JSON, or not an object: dead-lettered unless a requestId can still be read. */
  MALFORMED_JSON("malformed-json"),
  /** A field of the wrong type, an unknown field, or a missing required field. */
  INVALID_FIELD("invalid-field"),
  /** No requestId (or record key) to answer to: dead-lettered. */
  MISSING_REQUEST_ID("missing-request-id"),
  EMPTY_PROMPT("empty-prompt"),
  PROMPT_TOO_LONG("prompt-too-long"),
  UNKNOWN_CHARACTERS("unknown-characters"),
  LENGTH_OUT_OF_RANGE("length-out-of-range"),
  /** topN, temperature, timeoutMs or stop strings outside their limits. */
  INVALID_OPTION("invalid-option"),
  UNKNOWN_MODEL("unknown-model"),
  /** Still queued when its timeoutMs (or queue.max-wait-ms) passed: answered without work. */
  DEADLINE_EXCEEDED("deadline-exceeded"),
  /**
   * kafka_replyTopic not matching reply.topic-pattern, a reply topic that does not exist, a bad
   * kafka_replyPartition: answered on the responses topic.
   */
  REPLY_TOPIC_NOT_ALLOWED("reply-topic-not-allowed");

  private final String code;

  ErrorKind(String code) {
    this.code = code;
  }

  String code() {
    return code;
  }
}
