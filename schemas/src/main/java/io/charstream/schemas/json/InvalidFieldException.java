package io.charstream.schemas.json;

/**
 * A message field that is present but violates the contract (out of range, wrong pattern, missing
 * while required). Thrown by the records' compact constructors; {@link Json} turns it into a {@link
 * MessageFormatException} that names the field.
 */
public final class InvalidFieldException extends IllegalArgumentException {
  private final String field;

  public InvalidFieldException(String field, String message) {
    super("field '" + field + "': " + message);
    this.field = field;
  }

  /** The JSON name of the offending field (dotted path for nested objects). */
  public String field() {
    return field;
  }
}
