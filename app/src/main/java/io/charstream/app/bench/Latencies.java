package io.charstream.app.bench;

import org.HdrHistogram.Histogram;

/**
 * Latencies in milliseconds and their percentiles, on HdrHistogram (the benchmarks' one percentile
 * implementation): recorded in microseconds, three significant digits, up to one hour. Not
 * thread-safe.
 */
final class Latencies {

  private static final long MAX_MICROS = 3_600_000_000L;

  private final Histogram histogram = new Histogram(MAX_MICROS, 3);

  /** Records one latency; NaN (not measured) is skipped, negatives count as 0. */
  void record(double ms) {
    if (Double.isNaN(ms)) {
      return;
    }
    long micros = Math.round(Math.max(0, ms) * 1000);
    histogram.recordValue(Math.min(MAX_MICROS, micros));
  }

  long count() {
    return histogram.getTotalCount();
  }

  /**
   * The latency at {@code percentile} (0-100) in milliseconds, NaN when nothing was recorded; 100
   * gives the largest.
   */
  double percentileMs(double percentile) {
    if (histogram.getTotalCount() == 0) {
      return Double.NaN;
    }
    long micros =
        percentile >= 100
            ? histogram.getMaxValue()
            : histogram.getValueAtPercentile(Math.max(0, percentile));
    return micros / 1000.0;
  }
}
