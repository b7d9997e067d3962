package io.charstream.app.stack;

/** The demo cannot go on; the message says what went wrong and what to do. */
public final class DemoException extends Exception {
  public DemoException(String message) {
    super(message);
  }

  public DemoException(String message, Throwable cause) {
    super(message, cause);
  }
}
