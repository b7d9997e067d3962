package io.charstream.model.kernel;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The threads behind {@link FusedRuntime#runAll}: persistent daemon helpers with a hand-off cheap
 * enough for the ten or so joins of a training batch and the one join of every generation step. An
 * executor's submit + Future.get costs a park and an unpark on each side and a task object per
 * slice; here a helper spins for up to {@link #SPIN_NANOS} after each slice before it parks, and
 * the caller spins up to as long at the join before it parks, so passes that follow each other
 * closely hand over without the scheduler. The spin budgets adapt ({@link Spin}): on a machine
 * where our two threads do not run side by side (more runnable threads than cores), a fixed 50 us
 * spin made a join several times slower than the executor's (measured at load 10-12 on 2 cores), so
 * there they fall to a plain park/unpark.
 *
 * <p>Helpers are shared by every caller in the JVM (training, generation, several batches on
 * several threads). A caller claims a free helper per slice; when none is free (another caller
 * holds them) it runs that slice itself after its own, so a caller never waits for another caller's
 * work, and a slice that calls runAll again (nested) cannot deadlock. Results never depend on which
 * thread runs a slice.
 */
final class SliceThreads {

  /**
   * The most a helper spins for its next slice, and a caller for its helpers, before parking: long
   * enough for back-to-back passes and generation steps and for two slices that end a little apart,
   * and for a serving worker's turn between two steps (a poll, an answer, a commit hand-off), short
   * enough that an idle engine costs nothing. At 50 us the generator worker's helper parked between
   * steps often enough that its step took 1.3-1.7x the engine's: with 200 us one worker at 64
   * outstanding delivered 226,000-235,000 chars/s against 196,000-207,000 (bench serve, alternating
   * runs; 1 ms gave no more).
   */
  static final long SPIN_NANOS = 200_000;

  private static volatile Helper[] helpers = new Helper[0];

  private SliceThreads() {}

  /**
   * Runs tasks[0] on this thread and the others on helpers (or here, when none is free); returns
   * when every task has finished. The first failure by task index is thrown (the others added to it
   * as suppressed), only after every task has finished, so no slice still writes into shared
   * buffers when the caller sees the exception. An interrupt does not cut the join short; it stays
   * set for the caller.
   */
  static void runAll(Runnable[] tasks) {
    int others = tasks.length - 1;
    if (others <= 0) {
      if (others == 0) {
        tasks[0].run();
      }
      return;
    }
    Helper[] pool = helpers(others);
    Helper[] claimed = new Helper[tasks.length];
    int next = 0;
    for (int i = 1; i < tasks.length; i++) {
      while (next < pool.length && !pool[next].busy.compareAndSet(false, true)) {
        next++;
      }
      if (next < pool.length) {
        claimed[i] = pool[next++];
        claimed[i].start(tasks[i]);
      }
    }
    Throwable[] failures = new Throwable[tasks.length];
    failures[0] = runHere(tasks[0]);
    for (int i = 1; i < tasks.length; i++) {
      if (claimed[i] == null) {
        failures[i] = runHere(tasks[i]);
      }
    }
    boolean interrupted = false;
    for (int i = 1; i < tasks.length; i++) {
      Helper h = claimed[i];
      if (h != null) {
        interrupted |= h.awaitDone();
        failures[i] = h.failure;
        h.busy.set(false);
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    rethrowFirst(failures);
  }

  /** How many helper threads the JVM has started so far (they never stop: daemons, parked). */
  static int helperCount() {
    return helpers.length;
  }

  private static Throwable runHere(Runnable task) {
    try {
      task.run();
      return null;
    } catch (Throwable e) {
      return e;
    }
  }

  private static void rethrowFirst(Throwable[] failures) {
    Throwable first = null;
    for (Throwable t : failures) {
      if (t == null) {
        continue;
      }
      if (first == null) {
        first = t;
      } else if (t != first) {
        first.addSuppressed(t);
      }
    }
    if (first == null) {
      return;
    }
    if (first instanceof RuntimeException r) {
      throw r;
    }
    if (first instanceof Error e) {
      throw e;
    }
    throw new IllegalStateException("a slice failed", first);
  }

  private static Helper[] helpers(int needed) {
    Helper[] current = helpers;
    if (current.length >= needed) {
      return current;
    }
    synchronized (SliceThreads.class) {
      current = helpers;
      if (current.length < needed) {
        Helper[] grown = Arrays.copyOf(current, needed);
        for (int i = current.length; i < needed; i++) {
          grown[i] = new Helper(i + 1);
        }
        helpers = grown;
        current = grown;
      }
      return current;
    }
  }

  private static final class Helper implements Runnable {
    final AtomicBoolean busy = new AtomicBoolean();
    private final Thread thread;
    private volatile Runnable task;
    private volatile boolean done;
    private volatile Throwable failure;
    private volatile Thread waiter;

    /** The helper's spin budget for its next slice (its own thread's). */
    private long taskSpin = SPIN_NANOS;

    /**
     * The spin budget of a caller joining this helper (the claiming caller's; see {@link #busy}).
     */
    private long joinSpin = SPIN_NANOS;

    Helper(int index) {
      thread = new Thread(this, "charstream-fused-" + index);
      thread.setDaemon(true);
      thread.start();
    }

    /** Hands over a slice; the caller holds {@link #busy}. */
    void start(Runnable slice) {
      done = false;
      failure = null;
      waiter = Thread.currentThread();
      task = slice; // publishes the fields above
      LockSupport.unpark(thread);
    }

    /** Waits until the slice has finished; returns whether the waiting thread was interrupted. */
    boolean awaitDone() {
      if (done) {
        joinSpin = Spin.succeeded(joinSpin);
        return false;
      }
      long waitStart = System.nanoTime();
      long deadline = waitStart + joinSpin;
      for (int spins = 1; !done; spins++) {
        if (!Spin.stillSpinning(spins, deadline)) {
          break;
        }
        Thread.onSpinWait();
      }
      if (done) {
        joinSpin = Spin.succeeded(joinSpin);
        return false;
      }
      boolean interrupted = false;
      while (!done) {
        LockSupport.park(this);
        // park returns at once while the flag is set: clear it, keep parking, restore it later
        interrupted |= Thread.interrupted();
      }
      joinSpin = Spin.parked(joinSpin, System.nanoTime() - waitStart);
      return interrupted;
    }

    @Override
    public void run() {
      while (true) {
        Runnable slice = awaitTask();
        task = null;
        failure = runHere(slice);
        done = true; // publishes the slice's writes and its failure
        LockSupport.unpark(waiter);
      }
    }

    private Runnable awaitTask() {
      Runnable slice = task;
      if (slice != null) {
        taskSpin = Spin.succeeded(taskSpin);
        return slice;
      }
      long waitStart = System.nanoTime();
      long deadline = waitStart + taskSpin;
      for (int spins = 1; (slice = task) == null; spins++) {
        if (!Spin.stillSpinning(spins, deadline)) {
          break;
        }
        Thread.onSpinWait();
      }
      if (slice != null) {
        taskSpin = Spin.succeeded(taskSpin);
        return slice;
      }
      while ((slice = task) == null) {
        LockSupport.park(this);
        Thread.interrupted(); // nobody should interrupt a helper; it must not spin if one does
      }
      taskSpin = Spin.parked(taskSpin, System.nanoTime() - waitStart);
      return slice;
    }
  }

  /**
   * Adaptive spin budgets (ns). A wait that ends while spinning doubles its budget (up to {@link
   * #SPIN_NANOS}). A wait that had to park is judged by how long it lasted: one that {@link
   * #SPIN_NANOS} of spinning would have covered sets the budget to twice its length, one longer
   * than that (an idle engine, or two threads taking turns on a loaded machine, where a spinning
   * thread only burns the time slice the other one needs) halves it, towards a plain park/unpark.
   *
   * <p>Before 2026-12-04 every parked wait halved the budget. That made a small budget absorbing:
   * once a few long waits had halved it below the usual gap between two passes (a serving worker's
   * turn between two steps, 20-40 us), no wait could end while spinning again, so the budget never
   * grew back and every step paid a park and an unpark (measured in a generator worker: the helper
   * parked before 80-95 % of its steps, against 1-10 % in the engine's own loop).
   */
  static final class Spin {
    private Spin() {}

    static long succeeded(long budget) {
      return Math.min(SPIN_NANOS, 2 * budget + 1_000);
    }

    /** After a wait that parked and lasted {@code waitedNanos} in all. */
    static long parked(long budget, long waitedNanos) {
      if (waitedNanos <= SPIN_NANOS) {
        return Math.min(SPIN_NANOS, Math.max(budget, 2 * waitedNanos));
      }
      return budget / 2;
    }

    /** Whether to keep spinning until {@code deadline}, checking the clock every 8 spins. */
    static boolean stillSpinning(int spins, long deadline) {
      return (spins & 7) != 0 || System.nanoTime() < deadline;
    }
  }
}
