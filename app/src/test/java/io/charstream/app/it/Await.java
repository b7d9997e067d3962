package io.charstream.app.it;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polls a condition until it holds or a deadline passes; the failure says what was awaited. */
public final class Await {
  private Await() {}

  public static void until(Duration timeout, String what, BooleanSupplier condition) {
    value(timeout, what, () -> condition.getAsBoolean() ? Boolean.TRUE : null);
  }

  /** Polls until the supplier returns non-null, and returns that. */
  public static <T> T value(Duration timeout, String what, Supplier<T> supplier) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      T v = supplier.get();
      if (v != null) return v;
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "timed out after " + timeout.toSeconds() + " s waiting for " + what);
      }
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos()); // poll interval, not synchronisation
    }
  }
}
