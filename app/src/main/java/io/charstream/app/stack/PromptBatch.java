package io.charstream.app.stack;

import io.charstream.schemas.ClientSizes;
import io.charstream.schemas.Topic;
import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.json.MessageFormatException;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends several generate requests at once (so the generator batches them) and hands over each final
 * response as it arrives. Reads every partition of the response topic from the end offsets taken
 * before sending, with {@code read_committed} (the generator writes in transactions), and ignores
 * chunks and responses to other requests.
 */
public final class PromptBatch implements AutoCloseable {
  private final Topics topics;
  private final KafkaProducer<String, byte[]> producer;
  private final KafkaConsumer<String, byte[]> consumer;
  private final List<TopicPartition> partitions;

  public PromptBatch(Map<String, Object> clientProps, Topics topics) {
    this.topics = topics;
    Map<String, Object> p = new HashMap<>(clientProps);
    p.putAll(ClientSizes.producer(topics.generateRequests()));
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    Topic<String, GenerateResponse> responses = topics.generateResponses();
    Map<String, Object> c = new HashMap<>(clientProps);
    c.putAll(ClientSizes.consumer(responses));
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    partitions =
        consumer.partitionsFor(responses.name(), Duration.ofSeconds(30)).stream()
            .map(i -> new TopicPartition(i.topic(), i.partition()))
            .toList();
    if (partitions.isEmpty()) {
      throw new IllegalStateException(
          "topic " + responses.name() + " does not exist: is the topic prefix right?");
    }
    consumer.assign(partitions);
  }

  /**
   * Sends {@code requests} and waits for the final response of each.
   *
   * @param onFinal called with each final response, in order of arrival
   * @return the final responses by requestId, in order of arrival
   * @throws TimeoutException naming the requests still unanswered at the deadline
   */
  public Map<String, GenerateResponse> run(
      List<GenerateRequest> requests, Consumer<GenerateResponse> onFinal, Duration timeout)
      throws TimeoutException {
    consumer.seekToEnd(partitions);
    partitions.forEach(
        consumer::position); // resolve the end offsets now, before anything can be answered
    for (GenerateRequest r : requests) {
      producer.send(
          new ProducerRecord<>(
              topics.generateRequests().name(),
              r.requestId(),
              Json.write(r, GenerateRequest.class)));
    }
    producer.flush();
    Map<String, GenerateResponse> finals = new LinkedHashMap<>();
    List<String> waiting =
        new ArrayList<>(requests.stream().map(GenerateRequest::requestId).toList());
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!waiting.isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new TimeoutException(
            "no answer to "
                + waiting
                + " within "
                + timeout.toSeconds()
                + " s: is a generator running on the same brokers and topic prefix?");
      }
      for (ConsumerRecord<String, byte[]> rec : consumer.poll(Duration.ofMillis(100))) {
        if (rec.value() == null || !waiting.contains(rec.key())) continue;
        GenerateResponse r;
        try {
          r = Json.read(rec.value(), GenerateResponse.class);
        } catch (MessageFormatException e) {
          continue; // not ours to judge: another client's garbage on a shared topic
        }
        if (r.type() != GenerateResponse.Type.FINAL) continue;
        waiting.remove(r.requestId());
        finals.put(r.requestId(), r);
        onFinal.accept(r);
      }
    }
    return finals;
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
    consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
  }
}
