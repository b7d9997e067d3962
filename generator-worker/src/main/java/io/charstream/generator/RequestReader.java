package io.charstream.generator;

/**
 * Turns one request record into a {@link RequestSpec}, or says what was wrong with it. Never throws
 * for bad input: a record that cannot be read is a {@link Rejected} with the requestId when one can
 * still be found (then the client gets an error response) and null otherwise (dead letter).
 */
@FunctionalInterface
interface RequestReader {

  Read read(String key, byte[] value);

  sealed interface Read permits Accepted, Rejected, Cancel {}

  record Accepted(RequestSpec spec) implements Read {}

  /**
   * A tombstone (null value) keyed by a valid requestId: cancels that request if it is queued or
   * running; nothing to answer otherwise.
   */
  record Cancel(String requestId) implements Read {}

  /**
   * @param requestId the id to answer to, or null when none could be read
   */
  record Rejected(String requestId, ErrorKind kind, String message) implements Read {}
}
