package io.charstream.generator;

import io.charstream.schemas.message.Priority;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Predicate;

/**
 * Requests waiting for a slot, in two classes. Free slots go to interactive requests first, each
 * class in arrival order; batch requests take the slots interactive ones leave. So that batch work
 * is never starved by a steady stream of interactive requests: while batch requests wait, after
 * {@code batchEvery - 1} interactive admissions in a row the next admission goes to the oldest
 * batch request that can start (its model is ready) — at least one of every {@code batchEvery}
 * slots handed out. Owned by the worker thread; not thread-safe.
 */
final class AdmissionQueue {

  /** The default share of batch requests: one of every 8 admissions while they wait. */
  static final int DEFAULT_BATCH_EVERY = 8;

  private final Deque<Job> interactive = new ArrayDeque<>();
  private final Deque<Job> batch = new ArrayDeque<>();
  private final int batchEvery;

  /** Interactive admissions in a row while batch requests waited. */
  private int interactiveInARow;

  /**
   * @param batchEvery while batch requests wait, at least one of this many admissions is batch (2:
   *     every other one)
   */
  AdmissionQueue(int batchEvery) {
    if (batchEvery < 2) {
      throw new IllegalArgumentException("batchEvery must be >= 2, got " + batchEvery);
    }
    this.batchEvery = batchEvery;
  }

  void add(Job job) {
    (job.spec().priority() == Priority.BATCH ? batch : interactive).addLast(job);
  }

  int size() {
    return interactive.size() + batch.size();
  }

  boolean isEmpty() {
    return interactive.isEmpty() && batch.isEmpty();
  }

  /** True when the next admission must go to a batch request (one waits, and it is their turn). */
  boolean batchDue() {
    return !batch.isEmpty() && (interactive.isEmpty() || interactiveInARow >= batchEvery - 1);
  }

  /**
   * The waiting requests in the order they should be tried: the iterator decides at each {@code
   * next} which class comes next, counting the admissions reported to {@link #admitted} so far, and
   * its {@code remove} takes the last one out. Skipping a request (its model still loading) is not
   * an admission.
   */
  Iterator<Job> candidates() {
    return new Iterator<>() {
      private final Iterator<Job> i = interactive.iterator();
      private final Iterator<Job> b = batch.iterator();
      private Iterator<Job> last;

      @Override
      public boolean hasNext() {
        return i.hasNext() || b.hasNext();
      }

      @Override
      public Job next() {
        boolean batchTurn = interactiveInARow >= batchEvery - 1;
        if (b.hasNext() && (batchTurn || !i.hasNext())) {
          last = b;
        } else if (i.hasNext()) {
          last = i;
        } else {
          throw new NoSuchElementException();
        }
        return last.next();
      }

      @Override
      public void remove() {
        last.remove();
      }
    };
  }

  /** {@code job} (taken out of the queue through {@link #candidates}) got a slot. */
  void admitted(Job job) {
    if (job.spec().priority() == Priority.BATCH) {
      interactiveInARow = 0;
    } else if (!batch.isEmpty()) {
      interactiveInARow++;
    } else {
      interactiveInARow = 0;
    }
  }

  /** Takes out every waiting request that matches, oldest first per class. */
  List<Job> removeIf(Predicate<Job> which) {
    List<Job> out = new ArrayList<>();
    for (Deque<Job> q : List.of(interactive, batch)) {
      for (Iterator<Job> it = q.iterator(); it.hasNext(); ) {
        Job job = it.next();
        if (which.test(job)) {
          it.remove();
          out.add(job);
        }
      }
    }
    return out;
  }
}
