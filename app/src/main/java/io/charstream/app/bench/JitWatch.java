package io.charstream.app.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Tells when the JIT compilers have gone quiet, so a benchmark's steady window starts after the
 * warm-up it should not measure. The serving path runs a whole Kafka broker and its clients in this
 * JVM: their compilation goes on for tens of seconds after the first requests, on the same two
 * cores, and costs the serving run 0.2-0.3 cores meanwhile (measured: 10,000 compilations over a 70
 * s bench serve). Reads the compilers' accumulated time ({@link CompilationMXBean}), which counts
 * their elapsed time, so a loaded machine makes it read high: a threshold errs towards a longer
 * ramp, never a shorter one.
 */
final class JitWatch {

  /** Compiler time per wall time (summed over the compiler threads) that counts as quiet. */
  static final double QUIET_SHARE = 0.05;

  /** Length of the window the share is measured over. */
  static final long WINDOW_NANOS = 2_000_000_000L;

  /**
   * The serving ramp's quiet: below 2 % of a core over 10 s. The broker's code paths that run a few
   * dozen times a second (transactions, markers, offset commits) reach the compilers' thresholds
   * late and in bursts: after a ramp that had ended quiet by the 2 s measure, the steady window
   * still had the compilers at 0.09-0.16 cores (measured), after a 120 s warm-up at 0.006-0.01,
   * with 5-12 % more serving throughput.
   */
  static JitWatch serving() {
    return new JitWatch(0.02, 10_000_000_000L);
  }

  private final double quietShare;
  private final long windowNanos;

  /** Quiet below {@link #QUIET_SHARE} over {@link #WINDOW_NANOS}. */
  JitWatch() {
    this(QUIET_SHARE, WINDOW_NANOS);
  }

  JitWatch(double quietShare, long windowNanos) {
    this.quietShare = quietShare;
    this.windowNanos = windowNanos;
  }

  private final CompilationMXBean mx = ManagementFactory.getCompilationMXBean();
  private long windowStartNanos = -1;
  private long windowStartMillis;
  private double lastShare = Double.NaN;

  /** True when the JVM reports compilation time (HotSpot does). */
  boolean supported() {
    return mx != null && mx.isCompilationTimeMonitoringSupported();
  }

  /** Compiler milliseconds so far, summed over the compiler threads; 0 when not supported. */
  long compileMillis() {
    return supported() ? mx.getTotalCompilationTime() : 0;
  }

  /**
   * Samples the compilers (call often) and says whether the last full window had them busy for less
   * than the quiet share; always true when the JVM does not report compilation time.
   */
  boolean quiet(long nowNanos) {
    if (!supported()) {
      return true;
    }
    long ms = compileMillis();
    if (windowStartNanos < 0) {
      windowStartNanos = nowNanos;
      windowStartMillis = ms;
      return false;
    }
    if (nowNanos - windowStartNanos >= windowNanos) {
      lastShare = (ms - windowStartMillis) * 1e6 / (nowNanos - windowStartNanos);
      windowStartNanos = nowNanos;
      windowStartMillis = ms;
    }
    return !Double.isNaN(lastShare) && lastShare < quietShare;
  }
}
