package io.charstream.model.generation;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The threads that run the other shares of a generation step, with a hand-off cheap enough for a
 * join per step: a step of 64 streams takes a few hundred microseconds, and an executor's
 * submit/park/unpark/Future round trip costs tens of microseconds of it. Each helper is one daemon
 * thread that spins briefly for the next share (steps follow each other within microseconds while a
 * batch is generating) and then parks; the caller spins briefly for the result, then parks.
 *
 * <p>Helpers are shared by every batch of the JVM. A batch claims a helper for one step; when all
 * are claimed (another batch is stepping on another thread), it runs that share itself, so a step
 * never waits for another batch. Results do not depend on which thread runs a share.
 */
final class StepHelpers {

  /** How long a helper or a waiting caller spins before parking. */
  private static final long SPIN_NANOS = 20_000;

  private static Helper[] helpers = new Helper[0];

  private StepHelpers() {}

  /**
   * Runs tasks[0] on this thread and the others on helpers (or here); returns when all are done.
   */
  static void runAll(Runnable[] tasks) {
    int others = tasks.length - 1;
    if (others == 0) {
      tasks[0].run();
      return;
    }
    Helper[] pool = helpers(others);
    Helper[] claimed = new Helper[others];
    for (int i = 0; i < others; i++) {
      Helper h = pool[i];
      if (h.busy.compareAndSet(false, true)) {
        claimed[i] = h;
        h.start(tasks[i + 1]);
      }
    }
    Throwable failure = null;
    try {
      tasks[0].run();
    } catch (Throwable e) {
      failure = e;
    }
    for (int i = 0; i < others; i++) {
      if (claimed[i] == null) {
        try {
          tasks[i + 1].run();
        } catch (Throwable e) {
          failure = chain(failure, e);
        }
      }
    }
    for (int i = 0; i < others; i++) {
      Helper h = claimed[i];
      if (h != null) {
        failure = chain(failure, h.await());
        h.busy.set(false);
      }
    }
    if (failure instanceof RuntimeException r) {
      throw r;
    }
    if (failure instanceof Error e) {
      throw e;
    }
    if (failure != null) {
      throw new IllegalStateException("a generation step share failed", failure);
    }
  }

  private static Throwable chain(Throwable first, Throwable next) {
    if (first == null) {
      return next;
    }
    if (next != null) {
      first.addSuppressed(next);
    }
    return first;
  }

  private static synchronized Helper[] helpers(int needed) {
    if (helpers.length < needed) {
      Helper[] grown = java.util.Arrays.copyOf(helpers, needed);
      for (int i = helpers.length; i < needed; i++) {
        grown[i] = new Helper(i + 1);
      }
      helpers = grown;
    }
    return helpers;
  }

  private static final class Helper implements Runnable {
    final AtomicBoolean busy = new AtomicBoolean();
    private final Thread thread;
    private volatile Runnable task;
    private volatile boolean done;
    private volatile Throwable failure;
    private volatile Thread waiter;

    Helper(int index) {
      thread = new Thread(this, "charstream-generation-" + index);
      thread.setDaemon(true);
      thread.start();
    }

    void start(Runnable share) {
      done = false;
      failure = null;
      waiter = Thread.currentThread();
      task = share;
      LockSupport.unpark(thread);
    }

    /** Waits for the share; returns its failure, if any. */
    Throwable await() {
      long spinUntil = System.nanoTime() + SPIN_NANOS;
      int spins = 0;
      while (!done) {
        if ((++spins & 63) != 0 || System.nanoTime() < spinUntil) {
          Thread.onSpinWait();
        } else {
          LockSupport.park(this);
        }
      }
      return failure;
    }

    @Override
    public void run() {
      while (true) {
        Runnable share;
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        int spins = 0;
        while ((share = task) == null) {
          if ((++spins & 63) != 0 || System.nanoTime() < spinUntil) {
            Thread.onSpinWait();
          } else {
            LockSupport.park(this);
          }
        }
        task = null;
        try {
          share.run();
        } catch (Throwable e) {
          failure = e;
        }
        done = true;
        LockSupport.unpark(waiter);
      }
    }
  }
}
