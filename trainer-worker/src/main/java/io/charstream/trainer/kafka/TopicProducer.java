package io.charstream.trainer.kafka;

import io.charstream.schemas.ClientSizes;
import io.charstream.schemas.Topic;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * One idempotent producer for every topic the trainer writes, serializing with each topic's serdes.
 * Thread-safe (the training threads and the polling thread share it). Its size limits fit the
 * largest topic it writes.
 */
public final class TopicProducer implements AutoCloseable {
  private final Producer<byte[], byte[]> producer;

  public TopicProducer(Map<String, Object> clientProps, String clientId, Topic<?, ?>... writes) {
    Map<String, Object> p = new HashMap<>(clientProps);
    p.putAll(ClientSizes.producer(writes));
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Over a producer of the caller's (a {@code MockProducer} in tests); closed with this one. */
  public TopicProducer(Producer<byte[], byte[]> producer) {
    this.producer = producer;
  }

  public <K, V> Future<RecordMetadata> send(Topic<K, V> topic, K key, V value) {
    return producer.send(
        new ProducerRecord<>(
            topic.name(),
            topic.keySerde().serializer().serialize(topic.name(), key),
            topic.valueSerde().serializer().serialize(topic.name(), value)));
  }

  /** Sends and waits for the broker's acknowledgement. */
  public <K, V> RecordMetadata sendSync(Topic<K, V> topic, K key, V value) {
    return await(send(topic, key, value));
  }

  /** Sends a record already in bytes (dead letters). */
  public RecordMetadata sendSync(ProducerRecord<byte[], byte[]> record) {
    return await(producer.send(record));
  }

  public void flush() {
    producer.flush();
  }

  private static RecordMetadata await(Future<RecordMetadata> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while sending", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof KafkaException k ? k : new KafkaException(e.getCause());
    }
  }

  @Override
  public void close() {
    producer.close(java.time.Duration.ofSeconds(10));
  }
}
