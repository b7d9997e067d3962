package io.charstream.schemas;

import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Client size limits that match the topics' {@code max.message.bytes}: a record the topic accepts
 * must also fit the producer's {@code max.request.size} and the consumer's fetch sizes, or it is
 * refused (producer) or stalls the partition (old consumers). Merge these into client configs.
 */
public final class ClientSizes {
  private ClientSizes() {}

  /** Producer settings able to send the largest record of any of these topics. */
  public static Map<String, Object> producer(Topic<?, ?>... topics) {
    int max = max(topics);
    // The accumulator must hold at least one whole record.
    long buffer = Math.max(32L * 1024 * 1024, 2L * max);
    return Map.of(
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, max, ProducerConfig.BUFFER_MEMORY_CONFIG, buffer);
  }

  /** Consumer settings able to fetch the largest record of any of these topics in one go. */
  public static Map<String, Object> consumer(Topic<?, ?>... topics) {
    int max = max(topics);
    return Map.of(
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
        max,
        ConsumerConfig.FETCH_MAX_BYTES_CONFIG,
        Math.max(max, 50 * 1024 * 1024));
  }

  private static int max(Topic<?, ?>... topics) {
    int max = 1024 * 1024;
    for (Topic<?, ?> t : topics) max = Math.max(max, t.settings().maxMessageBytes());
    return max;
  }
}
