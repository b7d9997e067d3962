package io.charstream.app.console;

import io.charstream.generator.GeneratorService;
import io.micrometer.core.instrument.Gauge;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/** Which version of each model the generators serve, as far as this process can tell. */
interface ServedVersions {
  /** How this process knows, for the page: "generator in this process", "answers seen", ... */
  String source();

  /** Model id to the version served (a request without a version gets it). */
  Map<String, Long> current();

  /**
   * {@code charstream up}: the newest loaded version of each model in this process's generator,
   * from its {@code charstream_generator_model_version} gauge (the one Prometheus scrapes).
   */
  static ServedVersions of(GeneratorService generator) {
    return new ServedVersions() {
      @Override
      public String source() {
        return "the generator in this process";
      }

      @Override
      public Map<String, Long> current() {
        Map<String, Long> out = new TreeMap<>();
        for (Gauge g : generator.meters().find("charstream.generator.model.version").gauges()) {
          double v = g.value();
          if (Double.isFinite(v)) out.put(g.getId().getTag("model_id"), (long) v);
        }
        return out;
      }
    };
  }

  /**
   * {@code charstream console} against a cluster: the generators are elsewhere, so what the answers
   * to this console's own completions said.
   */
  final class FromAnswers implements ServedVersions {
    private final Map<String, Long> seen = new ConcurrentHashMap<>();

    void answered(String modelId, Long version) {
      if (modelId != null && version != null) seen.merge(modelId, version, Math::max);
    }

    @Override
    public String source() {
      return "answers to this console's completions";
    }

    @Override
    public Map<String, Long> current() {
      return new TreeMap<>(seen);
    }
  }
}
