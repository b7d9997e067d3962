package io.charstream.app.console;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.charstream.schemas.message.CheckpointEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The models and versions on {@code charstream.checkpoints}, without their weights: metrics,
 * network, recipe and corpus of each version. Not thread-safe: {@link ConsoleState} owns it. The
 * topic is compacted by model id, so after compaction only each model's latest version is left.
 */
final class ModelCatalog {
  /** Versions kept per model (the newest). */
  static final int MAX_VERSIONS = 100;

  /** One published version: the checkpoint event less its weights. */
  record Version(
      String modelId,
      long version,
      String jobId,
      int epoch,
      long globalStep,
      boolean last,
      long createdAtMs,
      CheckpointEvent.Metrics metrics,
      CheckpointEvent.ModelSpec model,
      io.charstream.schemas.message.TrainingRequest training,
      long sizeBytes,
      String sha256) {
    static Version of(CheckpointEvent e) {
      return new Version(
          e.modelId(),
          e.version(),
          e.jobId(),
          e.epoch(),
          e.globalStep(),
          e.last(),
          e.createdAtMs(),
          e.metrics(),
          e.model(),
          e.training(),
          e.sizeBytes(),
          e.sha256());
    }

    /** The name {@code /v1/completions} takes to pin this version: {@code id@version}. */
    String name() {
      return modelId + "@" + version;
    }
  }

  private final Map<String, NavigableMap<Long, Version>> models = new TreeMap<>();

  /** Adds a published version; returns the model's id. */
  String apply(CheckpointEvent e) {
    NavigableMap<Long, Version> versions =
        models.computeIfAbsent(e.modelId(), k -> new TreeMap<>());
    versions.put(e.version(), Version.of(e));
    while (versions.size() > MAX_VERSIONS) versions.pollFirstEntry();
    return e.modelId();
  }

  /** Every version of every model, by id, oldest first. */
  List<Version> all() {
    List<Version> out = new ArrayList<>();
    models.values().forEach(v -> out.addAll(v.values()));
    return out;
  }

  List<String> ids() {
    return List.copyOf(models.keySet());
  }

  /** A model as JSON: its latest version and every kept version, newest first. */
  ObjectNode toJson(String modelId) {
    NavigableMap<Long, Version> versions = models.get(modelId);
    ObjectNode m = HttpIo.JSON.createObjectNode();
    m.put("modelId", modelId);
    m.put("latestVersion", versions.lastKey());
    ArrayNode a = m.putArray("versions");
    for (Version v : versions.descendingMap().values()) {
      ObjectNode j = HttpIo.JSON.valueToTree(v);
      j.put("corpusId", v.training().corpusId());
      j.put("name", v.name());
      a.add(j);
    }
    return m;
  }
}
