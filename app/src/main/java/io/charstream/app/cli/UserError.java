package io.charstream.app.cli;

/**
 * A mistake the user can fix (bad flag value, missing or unreadable file); the message says how.
 */
public final class UserError extends RuntimeException {
  public UserError(String message) {
    super(message);
  }

  public UserError(String message, Throwable cause) {
    super(message, cause);
  }
}
