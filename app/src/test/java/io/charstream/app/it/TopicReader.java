package io.charstream.app.it;

import io.charstream.schemas.ClientSizes;
import io.charstream.schemas.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads a whole topic from the beginning (all partitions, no group) and keeps every record, for
 * tests to wait on: {@code reader.await(timeout, "a completed status", r -> ...)}.
 */
public final class TopicReader<K, V> implements AutoCloseable {
  private final KafkaConsumer<K, V> consumer;
  private final List<ConsumerRecord<K, V>> seen = new ArrayList<>();

  public TopicReader(Map<String, Object> clientProps, Topic<K, V> topic) {
    Map<String, Object> p = new HashMap<>(clientProps);
    p.putAll(ClientSizes.consumer(topic));
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumer =
        new KafkaConsumer<>(p, topic.keySerde().deserializer(), topic.valueSerde().deserializer());
    List<TopicPartition> parts =
        consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
            .map(i -> new TopicPartition(i.topic(), i.partition()))
            .toList();
    consumer.assign(parts);
    consumer.seekToBeginning(parts);
  }

  /** Polls once and returns everything seen so far. */
  public List<ConsumerRecord<K, V>> poll() {
    consumer.poll(Duration.ofMillis(100)).forEach(seen::add);
    return List.copyOf(seen);
  }

  /** Polls until a record matches, and returns the first match. */
  public ConsumerRecord<K, V> await(
      Duration timeout, String what, Predicate<ConsumerRecord<K, V>> match) {
    return Await.value(
        timeout,
        what + " (seen " + seen.size() + " records)",
        () -> poll().stream().filter(match).findFirst().orElse(null));
  }

  /** Values seen so far, in order of arrival. */
  public List<V> values() {
    return seen.stream().map(ConsumerRecord::value).toList();
  }

  @Override
  public void close() {
    consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
  }
}
