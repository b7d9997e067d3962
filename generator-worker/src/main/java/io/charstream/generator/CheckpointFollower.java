package io.charstream.generator;

import io.charstream.model.Checkpoint;
import io.charstream.model.generation.GenerationModel;
import io.charstream.model.kernel.FusedRuntime;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.message.CheckpointEvent;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the compacted checkpoints topic on its own thread (no consumer group: every worker reads
 * all of it) and loads each announced version into the {@link ModelRegistry} in the background: the
 * worker thread never waits for a load, and swaps to a new version for new requests as soon as it
 * is ready. At start-up it reads the topic to its end and loads the newest {@code keepVersions}
 * versions of each model before counting down {@link #caughtUp()}.
 *
 * <p>A checkpoint that cannot be used (bad JSON, sha256 mismatch, another format version) is
 * logged, counted and marked failed for requests pinned to it; the previous version keeps serving.
 */
final class CheckpointFollower implements Runnable, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CheckpointFollower.class);

  private final String topic;
  private final KafkaConsumer<String, byte[]> consumer;
  private final ModelRegistry registry;
  private final int keepVersions;
  private final Consumer<LoadedModel> onLoaded;
  private final Runnable onBadCheckpoint;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private final CountDownLatch closing = new CountDownLatch(1);
  private volatile boolean closed;
  private volatile Throwable failure;

  CheckpointFollower(
      String topic,
      KafkaConsumer<String, byte[]> consumer,
      ModelRegistry registry,
      int keepVersions,
      Consumer<LoadedModel> onLoaded,
      Runnable onBadCheckpoint) {
    this.topic = topic;
    this.consumer = consumer;
    this.registry = registry;
    this.keepVersions = keepVersions;
    this.onLoaded = onLoaded;
    this.onBadCheckpoint = onBadCheckpoint;
  }

  /**
   * Why the follower stopped by itself (then no new model arrives: the worker is not live), or
   * null.
   */
  Throwable failure() {
    return failure;
  }

  /** Counts down once the topic was read to its end offsets of start-up and those models loaded. */
  CountDownLatch caughtUp() {
    return caughtUp;
  }

  @Override
  public void run() {
    try {
      List<TopicPartition> partitions = awaitPartitions();
      if (partitions == null) {
        return;
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      catchUp(partitions);
      caughtUp.countDown();
      while (!closed) {
        for (ConsumerRecord<String, byte[]> rec : consumer.poll(Duration.ofMillis(500))) {
          CheckpointEvent e = parse(rec);
          if (e != null) {
            registry.loading(e.modelId(), e.version());
            load(e);
          }
        }
      }
    } catch (WakeupException e) {
      if (!closed) {
        throw e;
      }
    } catch (RuntimeException e) {
      failure = e;
      log.error("checkpoint follower stopped: {}", e.toString(), e);
    } finally {
      caughtUp.countDown(); // never leave the worker waiting for a follower that has stopped
      consumer.close(Duration.ZERO);
    }
  }

  /**
   * The topic's partitions; waits while the topic does not exist yet (it counts as caught up then).
   */
  private List<TopicPartition> awaitPartitions() {
    boolean told = false;
    while (!closed) {
      List<PartitionInfo> infos;
      try {
        infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
      } catch (RetriableException e) {
        log.info("cannot read the metadata of {} yet ({}); retrying", topic, e.getMessage());
        continue; // the broker is starting or unreachable for a moment: keep trying
      }
      if (infos != null && !infos.isEmpty()) {
        List<TopicPartition> tps = new ArrayList<>();
        infos.forEach(i -> tps.add(new TopicPartition(i.topic(), i.partition())));
        return tps;
      }
      if (!told) {
        log.info("topic {} does not exist yet; serving no model until it does", topic);
        told = true;
      }
      caughtUp.countDown();
      try {
        closing.await(1, TimeUnit.SECONDS); // look again in a second, or stop when closed
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
    return null;
  }

  /** Reads to the end offsets of start-up, then loads the newest versions of each model. */
  private void catchUp(List<TopicPartition> partitions) {
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
    Map<String, List<CheckpointEvent>> byModel = new HashMap<>();
    while (!closed && partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
      for (ConsumerRecord<String, byte[]> rec : consumer.poll(Duration.ofMillis(500))) {
        CheckpointEvent e = parse(rec);
        if (e != null) {
          registry.loading(e.modelId(), e.version());
          byModel.computeIfAbsent(e.modelId(), k -> new ArrayList<>()).add(e);
        }
      }
    }
    for (List<CheckpointEvent> events : byModel.values()) {
      events.sort(Comparator.comparingLong(CheckpointEvent::version));
      List<CheckpointEvent> newest =
          events.subList(Math.max(0, events.size() - keepVersions), events.size());
      for (CheckpointEvent e : events) {
        if (!newest.contains(e)) {
          registry.failed(
              e.modelId(),
              e.version(),
              "superseded: this generator keeps the newest " + keepVersions + " versions");
        }
      }
      newest.forEach(this::load);
    }
  }

  private CheckpointEvent parse(ConsumerRecord<String, byte[]> rec) {
    if (rec.value() == null) {
      return null; // a tombstone: nothing to load (running versions keep serving)
    }
    try {
      return Json.read(rec.value(), CheckpointEvent.class);
    } catch (RuntimeException e) {
      onBadCheckpoint.run();
      log.warn(
          "ignoring unreadable checkpoint event {}/{}@{}: {}",
          rec.topic(),
          rec.partition(),
          rec.offset(),
          e.getMessage());
      return null;
    }
  }

  private void load(CheckpointEvent e) {
    long t0 = System.nanoTime();
    try {
      byte[] bytes = e.weights().bytes();
      String sha = sha256(bytes);
      if (bytes.length != e.sizeBytes() || !sha.equals(e.sha256())) {
        throw new IllegalArgumentException(
            "weights are "
                + bytes.length
                + " bytes with sha256 "
                + sha
                + " but the event says "
                + e.sizeBytes()
                + " bytes with sha256 "
                + e.sha256()
                + ": the record was truncated or altered");
      }
      GenerationModel model = GenerationModel.from(Checkpoint.fromBytes(bytes));
      LoadedModel loaded = new LoadedModel(e.modelId(), e.version(), model);
      registry.loaded(loaded);
      onLoaded.accept(loaded);
      log.info(
          "loaded model {} version {} (epoch {}) in {} ms; generating on the {} kernel{}",
          e.modelId(),
          e.version(),
          e.epoch(),
          (System.nanoTime() - t0) / 1_000_000,
          model.kernel(),
          FusedRuntime.vectorModulePresent()
              ? ""
              : " (the fastest, \"vector\", needs the JVM option --add-modules="
                  + FusedRuntime.VECTOR_MODULE
                  + ", which ./charstream and the image add)");
    } catch (RuntimeException ex) {
      onBadCheckpoint.run();
      registry.failed(e.modelId(), e.version(), ex.getMessage());
      log.warn("cannot load model {} version {}: {}", e.modelId(), e.version(), ex.getMessage());
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  @Override
  public void close() {
    closed = true;
    closing.countDown();
    consumer.wakeup();
  }
}
