package io.charstream.app.cli;

/**
 * A command could not do its work for a reason that is not a mistake in its flags (the broker is
 * unreachable, a port is taken, a worker stopped on an error): {@link Commands#run} prints the
 * message as one line and exits 1. A mistake the user can fix in the command line is a {@link
 * UserError} (exit 2).
 */
public final class CommandFailed extends RuntimeException {
  public CommandFailed(String message) {
    super(message);
  }

  public CommandFailed(String message, Throwable cause) {
    super(message, cause);
  }
}
