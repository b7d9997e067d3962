package io.charstream.app.model;

/** A mistake the user can fix (bad flag value, missing or unreadable file); the message says how. */
final class UserError extends RuntimeException {
  UserError(String message) {
    super(message);
  }

  UserError(String message, Throwable cause) {
    super(message, cause);
  }
}
