package io.charstream.app.cli;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * How a long-running command stops on SIGTERM / Ctrl-C: one JVM shutdown hook that runs the
 * command's stop action once. The command can wait for the action to finish, ask whether a signal
 * came, or remove the hook when it ends by itself. What the action throws is printed with the
 * command's name and rethrown on the hook's thread (the JVM prints its stack trace), and {@link
 * #awaitStopped} rethrows it to the command: never swallowed.
 */
public final class ShutdownHook implements AutoCloseable {

  /** The work to do on a signal; it may block (drain, hand jobs over) and throw. */
  @FunctionalInterface
  public interface StopAction {
    void stop() throws Exception;
  }

  private final String command;
  private final StopAction action;
  private final Thread thread;
  private final AtomicBoolean fired = new AtomicBoolean();
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();

  private ShutdownHook(String command, StopAction action) {
    this.command = command;
    this.action = action;
    this.thread = new Thread(this::fire, "charstream-" + command.replace(' ', '-') + "-shutdown");
  }

  /** Registers {@code action} to run when the JVM is asked to stop. */
  public static ShutdownHook install(String command, StopAction action) {
    ShutdownHook hook = new ShutdownHook(command, action);
    Runtime.getRuntime().addShutdownHook(hook.thread);
    return hook;
  }

  private void fire() {
    fired.set(true);
    try {
      action.stop();
      stopped.complete(null);
    } catch (RuntimeException | Error e) {
      report(e);
      throw e;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      report(e);
      throw new IllegalStateException("charstream " + command + ": error while stopping", e);
    }
  }

  private void report(Throwable e) {
    System.err.println("charstream " + command + ": error while stopping: " + e);
    stopped.completeExceptionally(e);
  }

  /** True once a signal started the stop action. */
  public boolean fired() {
    return fired.get();
  }

  /** Completes when the stop action has run; exceptionally with what it threw. */
  public CompletableFuture<Void> stopped() {
    return stopped;
  }

  /**
   * Blocks until the stop action has run (call it after a signal); a failure of the action becomes
   * a {@link CommandFailed}.
   */
  public void awaitStopped() throws InterruptedException {
    try {
      stopped.get();
    } catch (ExecutionException e) {
      throw new CommandFailed("error while stopping: " + e.getCause(), e.getCause());
    }
  }

  /**
   * The command ended by itself: removes the hook. Once the JVM is shutting down the hook cannot be
   * removed; it runs (or has run) the stop action, so there is nothing left to do here.
   */
  @Override
  public void close() {
    if (fired.get()) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(thread);
    } catch (IllegalStateException shuttingDown) {
      // The JVM is shutting down: the hook is running the stop action itself.
    }
  }
}
