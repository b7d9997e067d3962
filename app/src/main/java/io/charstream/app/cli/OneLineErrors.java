package io.charstream.app.cli;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * Bad flags give one line that names the command, says what is wrong and how to get help, instead
 * of the whole usage text.
 */
public final class OneLineErrors {

  private OneLineErrors() {}

  /** A picocli parameter-exception handler: prints one line to stderr, returns exit status 2. */
  public static int handle(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    String name = cmd.getCommandSpec().qualifiedName();
    String message = e.getMessage();
    if (message != null && !message.endsWith(".")) {
      message += ".";
    }
    cmd.getErr().println(name + ": " + message + " Run '" + name + " --help' for the flags.");
    return cmd.getCommandSpec().exitCodeOnInvalidInput();
  }
}
