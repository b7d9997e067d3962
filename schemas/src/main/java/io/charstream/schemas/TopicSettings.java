package io.charstream.schemas;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The broker-side settings of one topic, defined once here so that the embedded broker, the
 * workers' admin clients and deploy/ (Strimzi KafkaTopic) create topics the same way.
 *
 * @param partitions number of partitions
 * @param cleanupPolicy {@code delete} or {@code compact}
 * @param retentionMs {@code retention.ms}; -1 keeps records forever
 * @param maxMessageBytes {@code max.message.bytes}: the largest record batch the topic accepts;
 *     producers must set {@code max.request.size} and consumers their fetch sizes at least as high
 */
public record TopicSettings(
    int partitions, String cleanupPolicy, long retentionMs, int maxMessageBytes) {
  public static final String DELETE = TopicConfig.CLEANUP_POLICY_DELETE;
  public static final String COMPACT = TopicConfig.CLEANUP_POLICY_COMPACT;
  public static final int MIB = 1024 * 1024;
  public static final long DAY_MS = 24L * 3600 * 1000;

  public TopicSettings {
    if (partitions < 1)
      throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
    if (!DELETE.equals(cleanupPolicy) && !COMPACT.equals(cleanupPolicy)) {
      throw new IllegalArgumentException(
          "cleanupPolicy must be delete or compact, got " + cleanupPolicy);
    }
    if (retentionMs < -1)
      throw new IllegalArgumentException("retentionMs must be >= -1, got " + retentionMs);
    if (maxMessageBytes < 1024)
      throw new IllegalArgumentException("maxMessageBytes too small: " + maxMessageBytes);
  }

  /** The topic-level configs to create the topic with (names as in Kafka's TopicConfig). */
  public Map<String, String> configs() {
    Map<String, String> c = new LinkedHashMap<>();
    c.put(TopicConfig.CLEANUP_POLICY_CONFIG, cleanupPolicy);
    c.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(retentionMs));
    c.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(maxMessageBytes));
    if (COMPACT.equals(cleanupPolicy)) {
      // Compact often enough that readers of the latest value per key do not wade through history.
      c.put(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(3600_000L));
      c.put(TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.1");
    }
    return c;
  }

  public NewTopic newTopic(String name, short replicationFactor) {
    return new NewTopic(name, partitions, replicationFactor).configs(configs());
  }

  public TopicSettings withPartitions(int n) {
    return new TopicSettings(n, cleanupPolicy, retentionMs, maxMessageBytes);
  }
}
