package io.charstream.app.client;

import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Publishes one generate request and waits for its answer: reads only the response partition its
 * requestId hashes to (the default partitioner's murmur2, as the worker's producer uses), from the
 * end offset taken before the request is sent, with {@code read_committed}. Streamed chunks are
 * delivered in order and de-duplicated by sequence number (a request replayed after a worker crash
 * streams again from 0).
 */
public final class PromptClient implements AutoCloseable {

  private final Topics topics;
  private final KafkaProducer<String, byte[]> producer;
  private final KafkaConsumer<String, byte[]> consumer;

  public PromptClient(Map<String, Object> kafkaProps, Topics topics) {
    this.topics = topics;
    Map<String, Object> p = new HashMap<>(kafkaProps);
    p.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
    producer =
        new KafkaProducer<>(
            p,
            new StringSerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer());
    Map<String, Object> c = new HashMap<>(kafkaProps);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * Sends {@code request} and returns its final response.
   *
   * @param onChunk receives each streamed chunk's text once, in order (not called without stream)
   */
  public GenerateResponse call(GenerateRequest request, Consumer<String> onChunk, Duration timeout)
      throws TimeoutException {
    String topic = topics.generateResponses().name();
    int partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).size();
    byte[] key = request.requestId().getBytes(StandardCharsets.UTF_8);
    TopicPartition tp =
        new TopicPartition(topic, Utils.toPositive(Utils.murmur2(key)) % partitions);
    consumer.assign(List.of(tp));
    consumer.seekToEnd(List.of(tp));
    consumer.position(tp); // resolve the end offset now, before the request can be answered
    producer.send(
        new ProducerRecord<>(
            topics.generateRequests().name(),
            request.requestId(),
            Json.write(request, GenerateRequest.class)));
    producer.flush();
    long deadline = System.nanoTime() + timeout.toNanos();
    int nextSeq = 0;
    while (System.nanoTime() < deadline) {
      for (ConsumerRecord<String, byte[]> rec : consumer.poll(Duration.ofMillis(100))) {
        if (!request.requestId().equals(rec.key()) || rec.value() == null) {
          continue;
        }
        GenerateResponse r = Json.read(rec.value(), GenerateResponse.class);
        if (r.type() == GenerateResponse.Type.FINAL) {
          return r;
        }
        if (r.sequence() == nextSeq) {
          onChunk.accept(r.text());
          nextSeq++;
        }
      }
    }
    throw new TimeoutException(
        "no response to request "
            + request.requestId()
            + " within "
            + timeout.toSeconds()
            + " s: is a generator running (charstream generator) on the same brokers and topic prefix?");
  }

  @Override
  public void close() {
    producer.close();
    consumer.close();
  }
}
