package io.charstream.app.client;

import io.charstream.schemas.ClientSizes;
import io.charstream.schemas.Topic;
import io.charstream.schemas.message.TrainingRequest;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Publishes training requests, keyed by model id, waiting for the broker's acknowledgement. */
public final class TrainingRequests {

  private TrainingRequests() {}

  /** Sends {@code request} to {@code topic} and waits until every in-sync replica has it. */
  public static void send(
      Map<String, Object> clientProps,
      Topic<String, TrainingRequest> topic,
      TrainingRequest request) {
    Map<String, Object> p = new HashMap<>(clientProps);
    p.putAll(ClientSizes.producer(topic));
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, TrainingRequest> producer =
        new KafkaProducer<>(p, topic.keySerde().serializer(), topic.valueSerde().serializer())) {
      producer.send(new ProducerRecord<>(topic.name(), request.modelId(), request)).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sending the request", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(
          "could not send the request to " + topic.name() + ": " + e.getCause().getMessage(),
          e.getCause());
    }
  }
}
