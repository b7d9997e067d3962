package io.charstream.app.console;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.schemas.message.CorpusManifest;
import io.charstream.schemas.message.TrainingStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the console shows, kept up to date from the topics ({@link TopicFollower}): training jobs
 * with their curves, models and versions, corpora, and the versions the generators serve. Every
 * change is pushed to the subscribed event feeds as it is applied; a new subscriber gets a snapshot
 * first, under the same lock, so it misses nothing and sees nothing twice.
 */
final class ConsoleState {

  /** An open event feed; {@code offer} must not block, and returns false once the feed is gone. */
  interface Sink {
    boolean offer(String event, ObjectNode data);
  }

  private final Map<String, JobView> jobs = new LinkedHashMap<>();
  private final ModelCatalog models = new ModelCatalog();
  private final Map<String, CorpusManifest> corpora = new TreeMap<>();
  private final ServedVersions served;
  private final Set<Sink> sinks = new LinkedHashSet<>();
  private Map<String, Long> lastServed = Map.of();
  private boolean caughtUp;
  private String stoppedBecause;

  ConsoleState(ServedVersions served) {
    this.served = served;
  }

  synchronized void status(TrainingStatus s) {
    JobView job = jobs.computeIfAbsent(s.jobId(), JobView::new);
    JobView.Added added = job.apply(s);
    ObjectNode e = HttpIo.JSON.createObjectNode();
    e.set("job", job.toJson(false));
    e.set("train", JobView.points(added.train()));
    e.set("val", JobView.points(added.val()));
    publish("job", e);
  }

  synchronized void checkpoint(CheckpointEvent c) {
    String id = models.apply(c);
    ObjectNode e = HttpIo.JSON.createObjectNode();
    e.set("model", models.toJson(id));
    publish("model", e);
  }

  /** A corpus index entry; null when the corpus was deleted (a tombstone). */
  synchronized void corpus(String corpusId, CorpusManifest m) {
    if (m == null) corpora.remove(corpusId);
    else corpora.put(corpusId, m);
    ObjectNode e = HttpIo.JSON.createObjectNode();
    e.set("corpus", m == null ? deletedCorpus(corpusId) : corpusJson(m));
    publish("corpus", e);
  }

  /** Publishes the served versions when they changed since the last call. */
  synchronized void refreshServed() {
    Map<String, Long> now = served.current();
    if (now.equals(lastServed)) return;
    lastServed = now;
    ObjectNode e = HttpIo.JSON.createObjectNode();
    e.set("served", HttpIo.JSON.valueToTree(now));
    publish("served", e);
  }

  /** Everything that was on the topics when the console started has been read. */
  synchronized void caughtUp() {
    caughtUp = true;
    publish("caughtUp", HttpIo.JSON.createObjectNode());
  }

  /** The topic reader stopped on an error: what the page shows no longer changes. */
  synchronized void stopped(String reason) {
    stoppedBecause = reason;
    ObjectNode e = HttpIo.JSON.createObjectNode();
    e.put("reason", reason);
    publish("stopped", e);
  }

  synchronized boolean isCaughtUp() {
    return caughtUp;
  }

  /** The whole state: jobs (newest first, with curves), models, corpora, served versions. */
  synchronized ObjectNode snapshot() {
    ObjectNode s = HttpIo.JSON.createObjectNode();
    s.put("caughtUp", caughtUp);
    if (stoppedBecause != null) s.put("stopped", stoppedBecause);
    ArrayNode js = s.putArray("jobs");
    jobs.values().stream()
        .sorted(Comparator.comparingLong(JobView::updatedAtMs).reversed())
        .forEach(j -> js.add(j.toJson(true)));
    ArrayNode ms = s.putArray("models");
    for (String id : models.ids()) ms.add(models.toJson(id));
    ArrayNode cs = s.putArray("corpora");
    corpora.values().forEach(c -> cs.add(corpusJson(c)));
    lastServed = served.current();
    s.set("served", HttpIo.JSON.valueToTree(lastServed));
    s.put("servedBy", served.source());
    return s;
  }

  /** Registers a feed: it gets the snapshot now, then every change. */
  synchronized void subscribe(Sink sink) {
    if (sink.offer("snapshot", snapshot())) sinks.add(sink);
  }

  synchronized void unsubscribe(Sink sink) {
    sinks.remove(sink);
  }

  synchronized int subscribers() {
    return sinks.size();
  }

  /** Every kept version of every model, for {@code GET /v1/models}. */
  synchronized List<ModelCatalog.Version> versions() {
    return models.all();
  }

  /** One job's state and curves, or null when no event of it was seen. */
  synchronized ObjectNode job(String jobId) {
    JobView j = jobs.get(jobId);
    return j == null ? null : j.toJson(true);
  }

  private void publish(String event, ObjectNode data) {
    for (Sink s : new ArrayList<>(sinks)) {
      if (!s.offer(event, data)) sinks.remove(s);
    }
  }

  private static ObjectNode corpusJson(CorpusManifest m) {
    ObjectNode c = HttpIo.JSON.createObjectNode();
    c.put("corpusId", m.corpusId());
    c.put("ready", m.current() != null);
    if (m.current() != null) c.put("chars", m.current().chars());
    if (m.pending() != null) {
      c.put("uploading", m.pending().received() + "/" + m.pending().count() + " chunks");
    }
    if (m.lastError() != null) c.put("lastError", m.lastError());
    c.put("updatedAtMs", m.updatedAtMs());
    return c;
  }

  private static ObjectNode deletedCorpus(String corpusId) {
    ObjectNode c = HttpIo.JSON.createObjectNode();
    c.put("corpusId", corpusId);
    c.put("deleted", true);
    return c;
  }
}
