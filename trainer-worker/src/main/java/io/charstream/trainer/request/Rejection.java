package io.charstream.trainer.request;

/** A training request the trainer will not run; becomes a {@code rejected} status. */
public final class Rejection extends Exception {
  private final String field;

  public Rejection(String field, String reason) {
    super(reason);
    this.field = field;
  }

  /** The request field at fault, or null. */
  public String field() {
    return field;
  }
}
