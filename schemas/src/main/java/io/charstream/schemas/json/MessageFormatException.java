package io.charstream.schemas.json;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record that does not satisfy the Kafka contract. {@link #field()} names the offending field (a
 * JSON path such as {@code stop[2]}), or is {@code null} when the bytes are not a JSON object at
 * all; {@link #kind()} says which of the two it is, so workers can tell "reject with a reason" from
 * "dead-letter".
 */
public final class MessageFormatException extends SerializationException {

  /** How badly a record is broken. */
  public enum Kind {
    /** Not JSON, not UTF-8, empty, or not a JSON object: nothing in it can be trusted. */
    NOT_JSON,
    /**
     * A JSON object that violates the schema: unknown, missing, ill-typed or out-of-range field.
     */
    INVALID_FIELD
  }

  private final Kind kind;
  private final String field;

  public MessageFormatException(Kind kind, String field, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.field = field;
  }

  public Kind kind() {
    return kind;
  }

  /** The JSON path of the bad field, or null when the record is not a JSON object. */
  public String field() {
    return field;
  }
}
