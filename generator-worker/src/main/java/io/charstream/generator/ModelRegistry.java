package io.charstream.generator;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The model versions this worker can generate with: written by the checkpoint follower's thread,
 * read by the worker thread. Keeps the newest {@code keepVersions} loaded versions of each model id
 * (older ones go, but a running request keeps its own reference until it finishes), and remembers
 * versions that are announced but still loading so a request for them waits instead of failing.
 */
final class ModelRegistry {

  /** What a request's model resolves to. */
  sealed interface Resolution {}

  record Ready(LoadedModel model) implements Resolution {}

  /** Announced on the checkpoints topic and loading in the background. */
  record Pending(String modelId, Long version) implements Resolution {}

  /**
   * Not known, or known to have failed to load ({@code failed}, no point waiting): the message says
   * what is available.
   */
  record Unknown(String message, boolean failed) implements Resolution {}

  private final int keepVersions;
  private final Map<String, NavigableMap<Long, LoadedModel>> loaded = new ConcurrentHashMap<>();
  private final Set<String> loading = ConcurrentHashMap.newKeySet();
  private final Map<String, String> failures = new ConcurrentHashMap<>();

  ModelRegistry(int keepVersions) {
    if (keepVersions < 1) {
      throw new IllegalArgumentException("keepVersions must be >= 1, got " + keepVersions);
    }
    this.keepVersions = keepVersions;
  }

  private static String tag(String modelId, long version) {
    return modelId + "@" + version;
  }

  /** A checkpoint event was seen; its weights are being loaded. */
  void loading(String modelId, long version) {
    failures.remove(tag(modelId, version));
    loading.add(tag(modelId, version));
  }

  /**
   * A version is ready: new requests for its model id (without a pin) use it if it is the newest.
   */
  synchronized void loaded(LoadedModel model) {
    NavigableMap<Long, LoadedModel> versions =
        loaded.computeIfAbsent(model.modelId(), k -> new TreeMap<>());
    NavigableMap<Long, LoadedModel> next = new TreeMap<>(versions);
    next.put(model.version(), model);
    while (next.size() > keepVersions) {
      next.pollFirstEntry();
    }
    loaded.put(model.modelId(), next); // readers see a complete map, never one being changed
    loading.remove(tag(model.modelId(), model.version()));
  }

  /** Loading a version failed: requests pinned to it get an error naming why. */
  void failed(String modelId, long version, String why) {
    loading.remove(tag(modelId, version));
    failures.put(tag(modelId, version), why);
  }

  /** The model a request runs on: the pinned version, or the newest loaded version of the id. */
  Resolution resolve(String modelId, Long version) {
    NavigableMap<Long, LoadedModel> versions = loaded.get(modelId);
    if (version == null) {
      if (versions != null && !versions.isEmpty()) {
        return new Ready(versions.lastEntry().getValue());
      }
      if (loading.stream().anyMatch(t -> t.startsWith(modelId + "@"))) {
        return new Pending(modelId, null);
      }
      return new Unknown("unknown model '" + modelId + "'; loaded models: " + describe(), false);
    }
    LoadedModel m = versions == null ? null : versions.get(version);
    if (m != null) {
      return new Ready(m);
    }
    if (loading.contains(tag(modelId, version))) {
      return new Pending(modelId, version);
    }
    String failure = failures.get(tag(modelId, version));
    if (failure != null) {
      return new Unknown(
          "model '" + modelId + "' version " + version + " failed to load: " + failure, true);
    }
    return new Unknown(
        "unknown version " + version + " of model '" + modelId + "'; loaded models: " + describe(),
        false);
  }

  /** The newest loaded version of each model id. */
  Map<String, Long> latestVersions() {
    Map<String, Long> out = new TreeMap<>();
    loaded.forEach(
        (id, versions) -> {
          if (!versions.isEmpty()) {
            out.put(id, versions.lastKey());
          }
        });
    return out;
  }

  boolean anyLoaded() {
    return loaded.values().stream().anyMatch(v -> !v.isEmpty());
  }

  Optional<LoadedModel> latest(String modelId) {
    NavigableMap<Long, LoadedModel> versions = loaded.get(modelId);
    return versions == null || versions.isEmpty()
        ? Optional.empty()
        : Optional.of(versions.lastEntry().getValue());
  }

  /** "id@v1,v2; id2@v3" or "none". */
  String describe() {
    List<String> parts = new ArrayList<>();
    new TreeMap<>(loaded)
        .forEach(
            (id, versions) -> {
              if (!versions.isEmpty()) {
                parts.add(id + " (versions " + versions.keySet() + ")");
              }
            });
    return parts.isEmpty() ? "none" : String.join(", ", parts);
  }
}
