package io.charstream.trainer;

import java.util.function.LongSupplier;

/**
 * When a loop last turned, on a clock that the health check shares (a test drives its own): the
 * request loop beats at each turn, and /livez fails when the beats stop for longer than {@code
 * health.stall-ms}.
 */
final class Heartbeat {
  private final LongSupplier nanoClock;
  private volatile long last;

  Heartbeat(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
    this.last = nanoClock.getAsLong();
  }

  void beat() {
    last = nanoClock.getAsLong();
  }

  /** Nanoseconds since the last beat (or since this heartbeat was made). */
  long nanosSinceBeat() {
    return nanoClock.getAsLong() - last;
  }
}
