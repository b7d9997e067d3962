package io.charstream.generator;

/**
 * Decides when the worker stops fetching requests: bounded in-flight work with hysteresis.
 *
 * <p>Requests already fetched wait in a queue until a slot frees. When that queue reaches {@code
 * maxQueued} the worker pauses every assigned partition (the consumer keeps polling, so the group
 * membership and {@code max.poll.interval.ms} are unaffected); it resumes once the queue has
 * drained to half, so it does not flap on every finished request. While draining for shutdown it
 * stays paused.
 */
final class FlowControl {

  /** What the worker must do with its assigned partitions after an update. */
  enum Action {
    NONE,
    PAUSE,
    RESUME
  }

  private final int maxQueued;
  private final int resumeAt;
  private boolean paused;
  private boolean draining;

  FlowControl(int maxQueued) {
    if (maxQueued < 1) {
      throw new IllegalArgumentException("maxQueued must be >= 1, got " + maxQueued);
    }
    this.maxQueued = maxQueued;
    this.resumeAt = maxQueued / 2;
  }

  /** Re-evaluates with the current number of queued (fetched, not yet started) requests. */
  Action update(int queued) {
    boolean wantPaused = draining || (paused ? queued > resumeAt : queued >= maxQueued);
    if (wantPaused == paused) {
      return Action.NONE;
    }
    paused = wantPaused;
    return paused ? Action.PAUSE : Action.RESUME;
  }

  /** From now on stay paused: the worker is finishing its work before leaving the group. */
  void drain() {
    draining = true;
  }

  boolean paused() {
    return paused;
  }
}
