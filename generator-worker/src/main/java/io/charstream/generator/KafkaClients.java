package io.charstream.generator;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The Kafka clients of one generator instance. Pass-through properties (TLS, SASL, timeouts) apply
 * to all of them and may override the defaults set here; what delivery depends on (group id,
 * transactional id, manual commits, serdes) is always set here.
 */
final class KafkaClients {

  /**
   * Producer default: a crashed worker's open transaction blocks its partitions for at most this
   * long.
   */
  static final int TRANSACTION_TIMEOUT_MS = 10_000;

  /** Producer default: retry backoff, for back-to-back transactions (see below). */
  static final int RETRY_BACKOFF_MS = 5;

  static final int RETRY_BACKOFF_MAX_MS = 20;

  private final GeneratorConfig config;

  KafkaClients(GeneratorConfig config) {
    this.config = config;
  }

  private Map<String, Object> base() {
    return new HashMap<>(config.kafkaClientProps());
  }

  /**
   * The group consumer of generate requests: cooperative rebalancing, read_committed, manual
   * offsets.
   */
  KafkaConsumer<String, byte[]> requestConsumer() {
    Map<String, Object> p = base();
    p.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.putIfAbsent(
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.getInt(GeneratorConfig.QUEUE_CAPACITY));
    Object protocol = p.getOrDefault(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
    if ("classic".equalsIgnoreCase(String.valueOf(protocol))) {
      // The new consumer protocol (group.protocol=consumer) is incremental by design and takes no
      // assignor.
      p.putIfAbsent(
          ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
          CooperativeStickyAssignor.class.getName());
    }
    p.put(ConsumerConfig.GROUP_ID_CONFIG, config.getString(GeneratorConfig.GROUP_ID));
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "generator-" + config.instanceId());
    return new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * The consumer of the checkpoints topic: no group, large fetches (weights travel in the records).
   */
  KafkaConsumer<String, byte[]> modelConsumer() {
    Map<String, Object> p = base();
    int max = config.topics().checkpoints().settings().maxMessageBytes();
    p.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, max);
    p.putIfAbsent(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, max);
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    p.remove(ConsumerConfig.GROUP_PROTOCOL_CONFIG);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "generator-models-" + config.instanceId());
    return new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** A transactional producer; a new one fences any earlier one of this instance. */
  Producer<String, byte[]> transactionalProducer() {
    Map<String, Object> p = base();
    p.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, TRANSACTION_TIMEOUT_MS);
    // A transaction's records are handed over together and the commit flushes them, so lingering
    // only delays them; and while the offsets request is in flight the producer sends no records
    // (the sender waits for a transactional request before sending data), so a lingering batch
    // queues behind it instead of overlapping. 0 ms: one record + offsets per transaction took
    // 2.7-3.2 ms from sendOffsetsToTransaction's return to committed against 5.0-7.4 ms at 5 ms
    // (embedded broker, load 5-9 on 2 cores, medians of 200).
    p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
    // Back-to-back transactions: the next one's first request meets the previous one's markers
    // still being written (CONCURRENT_TRANSACTIONS) and is retried after this backoff. The default
    // 100 ms made every transaction after a busy one cost ~110 ms on the embedded broker; 5 ms:
    // 10-15 ms (measured at load 14-17 on 2 cores, 300 transactions of one record and offsets);
    // capping the exponential backoff at 20 ms (default 1 s) cut the p90 from 20-50 ms to 12-20.
    p.putIfAbsent(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, RETRY_BACKOFF_MS);
    p.putIfAbsent(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, RETRY_BACKOFF_MAX_MS);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(
        ProducerConfig.TRANSACTIONAL_ID_CONFIG,
        config.getString(GeneratorConfig.GROUP_ID) + "-" + config.instanceId());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "generator-tx-" + config.instanceId());
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }
}
