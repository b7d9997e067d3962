package io.charstream.model;

/**
 * Training stopped because the loss became NaN or infinite; the message says which batch and what
 * to change. An {@link IllegalStateException}, as before it had a type of its own.
 */
public final class TrainingDivergedException extends IllegalStateException {
  public TrainingDivergedException(String message) {
    super(message);
  }
}
