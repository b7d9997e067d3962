package io.charstream.trainer.kafka;

import io.charstream.schemas.ClientSizes;
import io.charstream.schemas.Topic;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Reads one partition from an offset up to the end that existed when the scan started, with a
 * short-lived consumer that joins no group. The trainer uses it to read a corpus upload and a
 * model's latest training state, which live in known partitions.
 */
public final class PartitionScan {
  private final Map<String, Object> clientProps;

  public PartitionScan(Map<String, Object> clientProps) {
    this.clientProps = Map.copyOf(clientProps);
  }

  /** The partition the default partitioner puts {@code key} in (murmur2, as every Kafka client). */
  public static int partitionFor(String key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        % partitions;
  }

  public int partitions(Topic<?, ?> topic) {
    try (KafkaConsumer<byte[], byte[]> c = consumer(topic)) {
      return c.partitionsFor(topic.name(), Duration.ofSeconds(30)).size();
    }
  }

  /**
   * Calls {@code visit} with every record of {@code partition} from {@code fromOffset} (or the
   * beginning, if null) to the end offset at the start, in order, until it returns false.
   */
  public void scan(
      Topic<?, ?> topic,
      int partition,
      Long fromOffset,
      Long toOffsetInclusive,
      Predicate<ConsumerRecord<byte[], byte[]>> visit,
      Duration timeout) {
    TopicPartition tp = new TopicPartition(topic.name(), partition);
    try (KafkaConsumer<byte[], byte[]> c = consumer(topic)) {
      c.assign(List.of(tp));
      long end = c.endOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
      if (toOffsetInclusive != null) end = Math.min(end, toOffsetInclusive + 1);
      if (fromOffset == null) c.seekToBeginning(List.of(tp));
      else c.seek(tp, fromOffset);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (c.position(tp, Duration.ofSeconds(30)) < end) {
        if (System.nanoTime() > deadline) {
          throw new org.apache.kafka.common.errors.TimeoutException(
              "reading "
                  + tp
                  + " took more than "
                  + timeout.toSeconds()
                  + " s (at offset "
                  + c.position(tp)
                  + " of "
                  + end
                  + ")");
        }
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          if (r.offset() >= end) return;
          if (!visit.test(r)) return;
        }
      }
    }
  }

  private KafkaConsumer<byte[], byte[]> consumer(Topic<?, ?> topic) {
    Map<String, Object> p = new HashMap<>(clientProps);
    p.putAll(ClientSizes.consumer(topic));
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50);
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }
}
