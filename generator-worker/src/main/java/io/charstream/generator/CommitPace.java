package io.charstream.generator;

import java.util.function.IntSupplier;
import java.util.function.IntUnaryOperator;

/**
 * When the worker hands its next transaction to the committer: as soon as the previous one is done,
 * unless running requests are about to finish. One producer has one transaction open at a time, so
 * a request that finishes a few steps after a transaction went waits for that whole commit round
 * trip and then its own. So answers that are waiting hold the transaction back for the next finish
 * when that costs less waiting than it saves (group commit with lookahead): holding {@code k}
 * waiting answers for {@code d} costs {@code k * d}; the {@code m} answers due at that finish then
 * wait for their own commit {@code C} only, instead of the rest of the one just sent ({@code C -
 * d}) and then their own, which saves {@code m * (C - d)}. So the transaction is held while {@code
 * d < C * m / (m + k)} (half a round trip for one answer against one), and never past one round
 * trip from the first waiting answer. A lone request that started a few steps ahead of a wave (its
 * record arrived in an earlier fetch) thus goes out with the wave instead of alone, and the wave's
 * successors arrive together again. Step and commit times are moving averages of what this worker
 * measured; before the first commit nothing is held. Owned by the worker thread.
 */
final class CommitPace {

  /** Weight of the newest measurement in the moving averages. */
  private static final double WEIGHT = 0.125;

  /**
   * Nanos of a batched step, of a transaction (submit to committed) and of preparing one (begun,
   * offsets sent), moving averages.
   */
  private double stepNanos;

  private double commitNanos;

  private double prepareNanos;

  /** When the first answer waiting for the next transaction was added (System.nanoTime), or -1. */
  private long waitingSince = -1;

  /** Answers waiting for the next transaction. */
  private int waiting;

  void stepped(long nanos) {
    stepNanos = stepNanos == 0 ? nanos : stepNanos + WEIGHT * (nanos - stepNanos);
  }

  void committed(long nanos) {
    commitNanos = commitNanos == 0 ? nanos : commitNanos + WEIGHT * (nanos - commitNanos);
  }

  void prepared(long nanos) {
    prepareNanos = prepareNanos == 0 ? nanos : prepareNanos + WEIGHT * (nanos - prepareNanos);
  }

  /** A final response or an error was added to the next transaction. */
  void answered(long nowNanos) {
    if (waitingSince < 0) {
      waitingSince = nowNanos;
    }
    waiting++;
  }

  /** The next transaction went to the committer. */
  void submitted() {
    waitingSince = -1;
    waiting = 0;
  }

  /**
   * Steps within which a finish is worth preparing a transaction for: as long as preparing one
   * takes, and at least one commit round trip, at the recent step time (0 before a step and a
   * commit were measured). Preparing sends the offsets to the group coordinator, two requests
   * through a broker that shares the cores with the steps, and often takes longer than a commit (in
   * {@code bench serve} 5-9 ms against 4): prepared only a commit ahead, a wave's answers waited
   * for it.
   */
  int prepareWindowSteps() {
    return stepNanos == 0 || commitNanos == 0
        ? 0
        : (int) Math.min(1e6, Math.max(commitNanos, prepareNanos) / stepNanos);
  }

  /**
   * Steps the next transaction may be held for a finish at most: one commit at the recent step
   * time.
   */
  int holdSteps() {
    return stepNanos == 0 || commitNanos == 0 ? 0 : (int) Math.min(1e6, commitNanos / stepNanos);
  }

  /**
   * True to hold the next transaction: answers are waiting, and the running requests due at the
   * next finish ({@code stepsToNextFinish} steps away, {@code answersWithin} of them; both asked
   * only then) save more waiting than holding costs the waiting answers (see the class comment),
   * within one commit round trip of the first waiting answer.
   */
  boolean hold(long nowNanos, IntSupplier stepsToNextFinish, IntUnaryOperator answersWithin) {
    if (waitingSince < 0 || commitNanos == 0 || stepNanos == 0) {
      return false;
    }
    double waited = nowNanos - waitingSince;
    if (waited >= commitNanos) {
      return false;
    }
    int steps = stepsToNextFinish.getAsInt();
    if (steps == Integer.MAX_VALUE) {
      return false;
    }
    double due = steps * stepNanos;
    if (waited + due > commitNanos) {
      return false;
    }
    int m = answersWithin.applyAsInt(steps);
    return due * (m + waiting) <= commitNanos * m;
  }
}
