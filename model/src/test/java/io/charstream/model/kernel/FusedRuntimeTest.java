package io.charstream.model.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@link FusedRuntime#runAll} on its helper threads ({@link SliceThreads}). */
class FusedRuntimeTest {

  @Test
  void everySliceRunsOnceAndItsWritesAreVisibleAfterTheJoin() {
    long[] sums = new long[3];
    long expected = 0;
    for (int round = 0; round < 20_000; round++) {
      int r = round;
      Runnable[] tasks = new Runnable[3];
      for (int t = 0; t < 3; t++) {
        int slot = t;
        tasks[t] = () -> sums[slot] += r + slot;
      }
      FusedRuntime.runAll(tasks);
      expected += round;
      assertThat(sums[0]).isEqualTo(expected);
      assertThat(sums[1]).isEqualTo(expected + (round + 1L));
      assertThat(sums[2]).isEqualTo(expected + 2L * (round + 1));
    }
  }

  @Test
  void theFirstFailureByIndexIsThrownWithTheOthersSuppressedAfterEverySliceFinished() {
    boolean[] ran = new boolean[2];
    Runnable[] tasks = {
      () -> ran[0] = true,
      () -> {
        throw new IllegalArgumentException("slice 1 failed");
      },
      () -> {
        ran[1] = true;
        throw new IllegalStateException("slice 2 failed");
      }
    };
    assertThatThrownBy(() -> FusedRuntime.runAll(tasks))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("slice 1 failed")
        .satisfies(
            e ->
                assertThat(e.getSuppressed())
                    .singleElement()
                    .isInstanceOf(IllegalStateException.class)
                    .hasFieldOrPropertyWithValue("message", "slice 2 failed"));
    assertThat(ran).containsExactly(true, true);
    // The helpers are free again.
    int[] after = new int[2];
    FusedRuntime.runAll(new Runnable[] {() -> after[0]++, () -> after[1]++});
    assertThat(after).containsExactly(1, 1);
  }

  /**
   * An Error on the calling thread's slice is thrown as it is, and only once the helper's slice has
   * finished (it starts only after the caller's slice failed, and then works a while).
   */
  @Test
  void anErrorInTheCallersSliceWaitsForTheHelpersSlice() {
    CountDownLatch callerFailed = new CountDownLatch(1);
    AtomicBoolean helperFinished = new AtomicBoolean();
    double[] sink = new double[1];
    Runnable[] tasks = {
      () -> {
        callerFailed.countDown();
        throw new AssertionError("slice 0 failed");
      },
      () -> {
        try {
          callerFailed.await();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        double x = 0;
        for (int i = 0; i < 20_000_000; i++) {
          x += Math.sqrt(i);
        }
        sink[0] = x;
        helperFinished.set(true);
      }
    };
    assertThatThrownBy(() -> FusedRuntime.runAll(tasks))
        .isInstanceOf(AssertionError.class)
        .hasMessage("slice 0 failed");
    assertThat(helperFinished).isTrue();
    assertThat(sink[0]).isPositive();
  }

  @Test
  void slicesRunOnDistinctDaemonHelpersAndMoreHelpersStartWhenMoreSlicesAreAsked() {
    for (int count : new int[] {1, 2, 4, 2, 5, 1}) {
      Set<Thread> threads = ConcurrentHashMap.newKeySet();
      Runnable[] tasks = new Runnable[count];
      for (int i = 0; i < count; i++) {
        tasks[i] = () -> threads.add(Thread.currentThread());
      }
      FusedRuntime.runAll(tasks);
      assertThat(threads).as("%d slices", count).hasSize(count).contains(Thread.currentThread());
      Set<Thread> helpers = new HashSet<>(threads);
      helpers.remove(Thread.currentThread());
      assertThat(helpers)
          .allSatisfy(
              t -> {
                assertThat(t.isDaemon()).isTrue();
                assertThat(t.getName()).startsWith("charstream-fused-");
              });
    }
    assertThat(SliceThreads.helperCount()).isGreaterThanOrEqualTo(4);
  }

  @Test
  void callersOnTwoThreadsAtOnceAndNestedCallsAllComplete() throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long[][] counts = new long[2][3];
    Thread[] threads = new Thread[2];
    for (int b = 0; b < 2; b++) {
      long[] c = counts[b];
      threads[b] =
          new Thread(
              () -> {
                try {
                  start.await();
                  for (int i = 0; i < 5_000; i++) {
                    FusedRuntime.runAll(
                        new Runnable[] {
                          () -> c[0]++,
                          () ->
                              FusedRuntime.runAll(
                                  new Runnable[] {() -> c[1]++, () -> c[2]++, () -> {}})
                        });
                  }
                } catch (Throwable e) {
                  failure.set(e);
                }
              });
      threads[b].start();
    }
    start.countDown();
    for (Thread t : threads) {
      t.join();
    }
    assertThat(failure.get()).isNull();
    assertThat(counts[0]).containsExactly(5_000, 5_000, 5_000);
    assertThat(counts[1]).containsExactly(5_000, 5_000, 5_000);
  }

  @Test
  void anInterruptedCallerStillJoinsEverySliceAndKeepsItsInterrupt() {
    AtomicBoolean helperRan = new AtomicBoolean();
    CountDownLatch slow = new CountDownLatch(1);
    Thread.currentThread().interrupt();
    try {
      FusedRuntime.runAll(
          new Runnable[] {
            slow::countDown,
            () -> {
              try {
                slow.await();
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
              helperRan.set(true);
            }
          });
      assertThat(helperRan).isTrue();
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void spinBudgetsFallAfterLongWaitsAndRecoverAfterShortOnes() {
    long max = SliceThreads.SPIN_NANOS;
    long budget = max;
    for (int i = 0; i < 40; i++) {
      budget = SliceThreads.Spin.parked(budget, 10 * max); // idle: parked far longer than a spin
    }
    assertThat(budget).isZero();
    budget = SliceThreads.Spin.succeeded(budget);
    assertThat(budget).isPositive().isLessThan(max);
    for (int i = 0; i < 40; i++) {
      budget = SliceThreads.Spin.succeeded(budget);
    }
    assertThat(budget).isEqualTo(max);
    // A small budget is not a trap: a wait that parked but was short (a worker's turn between two
    // steps) sets the budget to cover it, so the next such wait ends while spinning.
    budget = SliceThreads.Spin.parked(0, 30_000);
    assertThat(budget).isEqualTo(60_000);
    assertThat(SliceThreads.Spin.parked(budget, 10_000)).isEqualTo(60_000);
    assertThat(SliceThreads.Spin.parked(1_000, max)).isEqualTo(max);
    assertThat(SliceThreads.Spin.parked(budget, max + 1)).isEqualTo(30_000);
  }
}
