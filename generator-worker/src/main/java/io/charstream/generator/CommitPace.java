package io.charstream.generator;

import java.util.function.IntSupplier;

/**
 * When the worker hands its next transaction to the committer: as soon as the previous one is done,
 * unless a running request is about to finish. One producer has one transaction open at a time, so
 * a request that finishes a few steps after a transaction went waits for that whole commit round
 * trip and then its own; when requests finish a few steps apart (a wave of requests that arrived in
 * two polls), each straggler would cost a round trip more. So answers that are waiting hold the
 * transaction back while the next finish is due within half a commit round trip of the first of
 * them (group commit with lookahead): the first answers lose at most that, the stragglers gain a
 * round trip. Step and commit times are moving averages of what this worker measured; before the
 * first commit nothing is held. Owned by the worker thread.
 */
final class CommitPace {

  /** Weight of the newest measurement in the moving averages. */
  private static final double WEIGHT = 0.125;

  /** Nanos of a batched step and of a transaction (submit to committed), moving averages. */
  private double stepNanos;

  private double commitNanos;

  /** When the first answer waiting for the next transaction was added (System.nanoTime), or -1. */
  private long waitingSince = -1;

  void stepped(long nanos) {
    stepNanos = stepNanos == 0 ? nanos : stepNanos + WEIGHT * (nanos - stepNanos);
  }

  void committed(long nanos) {
    commitNanos = commitNanos == 0 ? nanos : commitNanos + WEIGHT * (nanos - commitNanos);
  }

  /** A final response or an error was added to the next transaction. */
  void answered(long nowNanos) {
    if (waitingSince < 0) {
      waitingSince = nowNanos;
    }
  }

  /** The next transaction went to the committer. */
  void submitted() {
    waitingSince = -1;
  }

  /**
   * Steps within which a finish is worth preparing a transaction for: one commit round trip at the
   * recent step time (0 before anything was measured).
   */
  int prepareWindowSteps() {
    return stepNanos == 0 || commitNanos == 0 ? 0 : (int) Math.min(1e6, commitNanos / stepNanos);
  }

  /** Steps the next transaction may be held for a finish: half a commit at the recent step time. */
  int holdSteps() {
    return stepNanos == 0 || commitNanos == 0
        ? 0
        : (int) Math.min(1e6, commitNanos / 2 / stepNanos);
  }

  /**
   * True to hold the next transaction: answers are waiting, and the next running request to finish
   * ({@code stepsToNextFinish}: asked only then) will, at the recent step time, have finished
   * within half a commit round trip of the first waiting answer.
   */
  boolean hold(long nowNanos, IntSupplier stepsToNextFinish) {
    if (waitingSince < 0 || commitNanos == 0 || stepNanos == 0) {
      return false;
    }
    double budget = commitNanos / 2;
    double waited = nowNanos - waitingSince;
    if (waited >= budget) {
      return false;
    }
    int steps = stepsToNextFinish.getAsInt();
    return steps != Integer.MAX_VALUE && waited + steps * stepNanos <= budget;
  }
}
