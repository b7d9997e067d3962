package io.charstream.model.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class StepHelpersTest {

  @Test
  void everyShareRunsOnceAndItsWritesAreVisibleAfterTheJoin() {
    long[] sums = new long[3];
    for (int round = 0; round < 20_000; round++) {
      int r = round;
      Runnable[] tasks = new Runnable[3];
      for (int t = 0; t < 3; t++) {
        int slot = t;
        tasks[t] = () -> sums[slot] += r + slot;
      }
      StepHelpers.runAll(tasks);
      long expected = 0;
      for (int i = 0; i <= round; i++) {
        expected += i;
      }
      assertThat(sums[0]).isEqualTo(expected);
      assertThat(sums[2]).isEqualTo(expected + 2L * (round + 1));
    }
  }

  @Test
  void aFailingShareFailsTheStepAfterTheOthersFinish() {
    boolean[] ran = new boolean[2];
    Runnable[] tasks = {
      () -> ran[0] = true,
      () -> {
        throw new IllegalArgumentException("share 1 failed");
      },
      () -> ran[1] = true
    };
    assertThatThrownBy(() -> StepHelpers.runAll(tasks)).hasMessage("share 1 failed");
    assertThat(ran).containsExactly(true, true);
    // The helpers are free again.
    int[] after = new int[1];
    StepHelpers.runAll(new Runnable[] {() -> after[0]++, () -> {}});
    assertThat(after[0]).isEqualTo(1);
  }

  @Test
  void batchesSteppingOnTwoThreadsAtOnceBothComplete() throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long[][] counts = new long[2][2];
    Thread[] threads = new Thread[2];
    for (int b = 0; b < 2; b++) {
      long[] c = counts[b];
      threads[b] =
          new Thread(
              () -> {
                try {
                  start.await();
                  for (int i = 0; i < 5_000; i++) {
                    StepHelpers.runAll(new Runnable[] {() -> c[0]++, () -> c[1]++});
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
    assertThat(counts[0]).containsExactly(5_000, 5_000);
    assertThat(counts[1]).containsExactly(5_000, 5_000);
  }
}
