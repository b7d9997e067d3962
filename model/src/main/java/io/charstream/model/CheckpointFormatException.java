package io.charstream.model;

/**
 * A checkpoint file that is not one, or of another format version; the message says how to fix it.
 */
public final class CheckpointFormatException extends RuntimeException {
  public CheckpointFormatException(String message) {
    super(message);
  }

  public CheckpointFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
