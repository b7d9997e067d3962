package io.charstream.app.cli;

import java.io.PrintWriter;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command whose errors {@link Commands#run} reports: one line naming the command as the user
 * typed it ({@code charstream bench generate: ...}) and the exit status of its kind. Subclasses
 * declare their options and implement {@link #run}.
 */
public abstract class CliCommand implements Callable<Integer> {

  @Spec protected CommandSpec spec;

  @Override
  public final Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    return Commands.run(name(), err, () -> run(err));
  }

  /**
   * The command's work; its exit status. What it throws becomes one line on {@code err} (see {@link
   * Commands#run}).
   *
   * @param err the command line's error stream, for progress and log lines too
   */
  protected abstract int run(PrintWriter err) throws Exception;

  /** "train", "bench generate", "corpus put": the names below the root command. */
  private String name() {
    Deque<String> names = new ArrayDeque<>();
    for (CommandSpec s = spec; s.parent() != null; s = s.parent()) {
      names.addFirst(s.name());
    }
    return names.isEmpty() ? spec.name() : String.join(" ", names);
  }
}
