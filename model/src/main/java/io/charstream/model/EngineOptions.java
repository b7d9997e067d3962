package io.charstream.model;

import java.util.Locale;
import java.util.Map;

/**
 * The engine's switches in one typed, validated value: which layers train, how many threads a fused
 * layer or a generation step uses, and which kernels may run. The engine never reads the
 * environment itself: a {@code Main} reads these settings with {@link #fromSettings} at start-up (a
 * bad value fails there, naming the setting) and hands them to the engine's runtime ({@code
 * io.charstream.model.kernel.FusedRuntime.configure}). Each setting is a system property (tests,
 * {@code -D}) or else an environment variable (README, Configuration).
 *
 * @param layers which layers train: {@code FUSED} (the default) or {@code STOCK} (DL4J's own, the
 *     oracle the fused ones are tested against)
 * @param threads threads of a fused layer's pass and of a generation step, 1..{@value #MAX_THREADS}
 * @param generationBlas whether generation may use OpenBLAS when the Vector API kernel does not run
 *     (it still checks batch invariance first); false keeps it on the plain-Java kernel then
 * @param vectorKernels whether the LSTM recurrence, the softmax and the generation step may use the
 *     Java Vector API (they also need the JVM flag {@code --add-modules=jdk.incubator.vector})
 */
public record EngineOptions(
    Layers layers, int threads, boolean generationBlas, boolean vectorKernels) {

  public static final int MAX_THREADS = 64;

  /** A setting: its system property and its environment variable. */
  public enum Setting {
    LAYERS("charstream.layers", "CHARSTREAM_LAYERS"),
    THREADS("charstream.fused.threads", "CHARSTREAM_FUSED_THREADS"),
    GENERATION_BLAS("charstream.fused.generation-blas", "CHARSTREAM_FUSED_GENERATION_BLAS"),
    VECTOR("charstream.fused.vector", "CHARSTREAM_FUSED_VECTOR");

    public final String property;
    public final String env;

    Setting(String property, String env) {
      this.property = property;
      this.env = env;
    }
  }

  public enum Layers {
    FUSED,
    STOCK
  }

  public EngineOptions {
    if (layers == null) {
      throw new IllegalArgumentException("layers must be FUSED or STOCK, got null");
    }
    if (threads < 1 || threads > MAX_THREADS) {
      throw new IllegalArgumentException(
          "engine threads must be 1.." + MAX_THREADS + ", got " + threads);
    }
  }

  /** Fused layers, min(2, processors) threads, every fast kernel allowed. */
  public static EngineOptions defaults() {
    return new EngineOptions(Layers.FUSED, defaultThreads(), true, true);
  }

  public static int defaultThreads() {
    return Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));
  }

  /**
   * The options the settings give: for each {@link Setting}, its system property in {@code
   * properties}, else its variable in {@code env}, else the default. Throws {@link
   * IllegalArgumentException} naming the setting and the values it takes.
   */
  public static EngineOptions fromSettings(Map<String, String> env, Map<?, ?> properties) {
    EngineOptions d = defaults();
    String layers = value(Setting.LAYERS, env, properties);
    String threads = value(Setting.THREADS, env, properties);
    String blas = value(Setting.GENERATION_BLAS, env, properties);
    String vector = value(Setting.VECTOR, env, properties);
    return new EngineOptions(
        layers == null ? d.layers : parseLayers(layers, source(Setting.LAYERS, properties)),
        threads == null ? d.threads : parseThreads(threads, source(Setting.THREADS, properties)),
        blas == null
            ? d.generationBlas
            : parseBoolean(blas, source(Setting.GENERATION_BLAS, properties)),
        vector == null
            ? d.vectorKernels
            : parseBoolean(vector, source(Setting.VECTOR, properties)));
  }

  public EngineOptions withThreads(int count) {
    return new EngineOptions(layers, count, generationBlas, vectorKernels);
  }

  public EngineOptions withVectorKernels(boolean enabled) {
    return new EngineOptions(layers, threads, generationBlas, enabled);
  }

  private static String value(Setting s, Map<String, String> env, Map<?, ?> properties) {
    Object property = properties.get(s.property);
    if (property != null) {
      return property.toString();
    }
    String v = env.get(s.env);
    return v == null || v.isBlank() ? null : v;
  }

  private static String source(Setting s, Map<?, ?> properties) {
    return properties.get(s.property) != null
        ? "system property " + s.property
        : "environment variable " + s.env;
  }

  private static Layers parseLayers(String value, String source) {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "fused", "" -> Layers.FUSED;
      case "stock" -> Layers.STOCK;
      default ->
          throw new IllegalArgumentException(
              source
                  + "='"
                  + value
                  + "' is not a layer implementation: use 'fused' (default) or 'stock'");
    };
  }

  private static int parseThreads(String value, String source) {
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 1 && n <= MAX_THREADS) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        source + " must be an integer 1.." + MAX_THREADS + ", got '" + value + "'");
  }

  private static boolean parseBoolean(String value, String source) {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default ->
          throw new IllegalArgumentException(
              source + " must be true or false, got '" + value + "'");
    };
  }
}
