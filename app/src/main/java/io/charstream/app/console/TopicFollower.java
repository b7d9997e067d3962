package io.charstream.app.console;

import io.charstream.schemas.ClientSizes;
import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.json.MessageFormatException;
import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.schemas.message.CorpusManifest;
import io.charstream.schemas.message.TrainingStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code training-status}, {@code checkpoints} and {@code corpora} from the beginning, then
 * follows them, into a {@link ConsoleState}: one group-less consumer ({@code read_committed}) on
 * one thread. A record that does not parse is skipped with a warning; it never stops the console.
 */
final class TopicFollower implements Runnable, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TopicFollower.class);
  private static final Duration POLL = Duration.ofSeconds(1);

  private final KafkaConsumer<String, byte[]> consumer;
  private final Topics topics;
  private final ConsoleState state;
  private volatile boolean closed;

  TopicFollower(Map<String, Object> clientProps, Topics topics, ConsoleState state) {
    Map<String, Object> p = new HashMap<>(clientProps);
    p.putAll(ClientSizes.consumer(topics.checkpoints()));
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    this.topics = topics;
    this.state = state;
  }

  @Override
  public void run() {
    try {
      List<TopicPartition> all = partitions();
      consumer.assign(all);
      consumer.seekToBeginning(all);
      Map<TopicPartition, Long> end = consumer.endOffsets(all, Duration.ofSeconds(60));
      boolean caughtUp = false;
      while (!closed) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) apply(r);
        if (!caughtUp && all.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp))) {
          caughtUp = true;
          state.caughtUp();
        }
        state.refreshServed();
      }
    } catch (WakeupException e) {
      if (!closed) LOG.error("the console's topic reader was woken unexpectedly", e);
    } catch (RuntimeException e) {
      state.stopped(e.toString());
      LOG.error("the console stopped following the topics: {}", e.toString(), e);
    } finally {
      consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  /**
   * Every partition of the three topics; waits (saying so once) while one does not exist yet, as on
   * a cluster whose workers have not created their topics.
   */
  private List<TopicPartition> partitions() {
    boolean warned = false;
    while (!closed) {
      List<TopicPartition> all = new ArrayList<>();
      List<String> missing = new ArrayList<>();
      for (String t :
          List.of(
              topics.trainingStatus().name(),
              topics.checkpoints().name(),
              topics.corpora().name())) {
        List<org.apache.kafka.common.PartitionInfo> info;
        try {
          info = consumer.partitionsFor(t, Duration.ofSeconds(60));
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
          info = List.of(); // Kafka not reachable (yet): the same wait
        }
        if (info.isEmpty()) missing.add(t);
        info.forEach(i -> all.add(new TopicPartition(t, i.partition())));
      }
      if (missing.isEmpty()) return all;
      if (!warned) {
        LOG.warn(
            "waiting for topics {} (is Kafka reachable? start the workers, or create the topics)",
            missing);
        warned = true;
      }
      try {
        Thread.sleep(5_000); // topics appear rarely; no need to ask more often
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    throw new WakeupException();
  }

  private void apply(ConsumerRecord<String, byte[]> r) {
    try {
      if (r.topic().equals(topics.trainingStatus().name())) {
        if (r.value() != null) state.status(Json.read(r.value(), TrainingStatus.class));
      } else if (r.topic().equals(topics.checkpoints().name())) {
        if (r.value() != null) state.checkpoint(Json.read(r.value(), CheckpointEvent.class));
      } else if (r.key() != null) {
        state.corpus(
            r.key(), r.value() == null ? null : Json.read(r.value(), CorpusManifest.class));
      }
    } catch (MessageFormatException e) {
      LOG.warn("skipping {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
    }
  }

  @Override
  public void close() {
    closed = true;
    consumer.wakeup();
  }
}
