package io.charstream.app.it;

import io.charstream.schemas.ClientSizes;
import io.charstream.schemas.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
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

  /**
   * Every record of {@code topic} that a {@code read_committed} consumer will ever see, as far as
   * the writers have gone: waits until no transaction is open on any partition (each partition's
   * last stable offset has reached its high watermark, so an open or timed-out transaction has been
   * committed or aborted), then reads every partition from the beginning to that end offset.
   *
   * <p>This is where tests count answers: call it after the last answer was seen, with the writers
   * stopped, killed or idle. A count taken right after a reader first saw the last answer could
   * miss a duplicate committed a moment later; this one cannot, short of a writer that commits
   * again after it returns.
   */
  public static <K, V> List<ConsumerRecord<K, V>> readCommittedToEnd(
      Map<String, Object> clientProps, Topic<K, V> topic, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<TopicPartition, Long> end;
    try (Admin admin = Admin.create(new HashMap<>(clientProps))) {
      List<TopicPartition> parts =
          admin
              .describeTopics(List.of(topic.name()))
              .allTopicNames()
              .get()
              .get(topic.name())
              .partitions()
              .stream()
              .map(i -> new TopicPartition(topic.name(), i.partition()))
              .toList();
      Map<TopicPartition, OffsetSpec> latest =
          parts.stream().collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest()));
      end =
          Await.value(
              Duration.ofNanos(Math.max(0, deadline - System.nanoTime())),
              "no open transaction on " + topic.name(),
              () -> {
                Map<TopicPartition, Long> stable =
                    offsets(admin, latest, IsolationLevel.READ_COMMITTED);
                Map<TopicPartition, Long> high =
                    offsets(admin, latest, IsolationLevel.READ_UNCOMMITTED);
                return stable != null && stable.equals(high) ? stable : null;
              });
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError("cannot read the end offsets of " + topic.name(), e);
    }
    Map<String, Object> p = new HashMap<>(clientProps);
    p.putAll(ClientSizes.consumer(topic));
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<ConsumerRecord<K, V>> out = new ArrayList<>();
    try (KafkaConsumer<K, V> consumer =
        new KafkaConsumer<>(
            p, topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
      consumer.assign(end.keySet());
      consumer.seekToBeginning(end.keySet());
      Await.until(
          Duration.ofNanos(Math.max(0, deadline - System.nanoTime())),
          "every partition of " + topic.name() + " read to its end " + end,
          () -> {
            consumer.poll(Duration.ofMillis(100)).forEach(out::add);
            return end.entrySet().stream()
                .allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
          });
    }
    return out;
  }

  private static Map<TopicPartition, Long> offsets(
      Admin admin, Map<TopicPartition, OffsetSpec> specs, IsolationLevel isolation) {
    try {
      Map<TopicPartition, ListOffsetsResultInfo> r =
          admin.listOffsets(specs, new ListOffsetsOptions(isolation)).all().get();
      Map<TopicPartition, Long> out = new HashMap<>();
      r.forEach((tp, info) -> out.put(tp, info.offset()));
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } catch (java.util.concurrent.ExecutionException e) {
      return null; // a leader moving (a broker restart): ask again
    }
  }

  @Override
  public void close() {
    consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
  }
}
