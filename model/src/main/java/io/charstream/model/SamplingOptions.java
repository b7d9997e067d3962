package io.charstream.model;

/**
 * How to pick each next character: keep the {@code topN} most probable ids of softmax(logits /
 * temperature), renormalise, draw with a random source seeded by {@code randomSeed}. The reference
 * samples with topN 3 (generate) and temperature 1.
 */
public record SamplingOptions(int topN, double temperature, long randomSeed) {

  public static final int DEFAULT_TOP_N = 3;
  public static final double DEFAULT_TEMPERATURE = 1.0;

  public SamplingOptions {
    if (topN < 1) {
      throw new IllegalArgumentException("topN must be at least 1, got " + topN);
    }
    if (!(temperature > 0.0 && temperature <= 100.0)) {
      throw new IllegalArgumentException("temperature must be in (0, 100], got " + temperature);
    }
  }

  /** topN 3, temperature 1 and the given seed. */
  public static SamplingOptions withSeed(long randomSeed) {
    return new SamplingOptions(DEFAULT_TOP_N, DEFAULT_TEMPERATURE, randomSeed);
  }
}
