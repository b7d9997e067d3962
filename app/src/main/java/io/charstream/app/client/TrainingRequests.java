package io.charstream.app.client;

import io.charstream.schemas.ClientSizes;
import io.charstream.schemas.Topic;
import io.charstream.schemas.message.CancelRequest;
import io.charstream.schemas.message.TrainingRequest;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Publishes training requests (keyed by model id) and cancel requests (keyed by job id), waiting
 * for the broker's acknowledgement.
 */
public final class TrainingRequests {

  private TrainingRequests() {}

  /** Sends {@code request} to {@code topic} and waits until every in-sync replica has it. */
  public static void send(
      Map<String, Object> clientProps,
      Topic<String, TrainingRequest> topic,
      TrainingRequest request) {
    try {
      sendAcked(clientProps, topic, request.modelId(), request);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sending the request", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "could not send the request to " + topic.name() + ": " + e.getCause().getMessage(),
          e.getCause());
    }
  }

  /**
   * Asks the trainer running {@code jobId} to stop it (it saves a last checkpoint and publishes a
   * cancelled status), on the training-control topic {@code control}.
   */
  public static void cancel(
      Map<String, Object> clientProps,
      Topic<String, CancelRequest> control,
      String jobId,
      String reason)
      throws InterruptedException, ExecutionException {
    sendAcked(clientProps, control, jobId, CancelRequest.of(jobId, reason));
  }

  /** Sends one record with acks=all and waits until every in-sync replica has it. */
  public static <K, V> void sendAcked(
      Map<String, Object> clientProps, Topic<K, V> topic, K key, V value)
      throws InterruptedException, ExecutionException {
    Map<String, Object> p = new HashMap<>(clientProps);
    p.putAll(ClientSizes.producer(topic));
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<K, V> producer =
        new KafkaProducer<>(p, topic.keySerde().serializer(), topic.valueSerde().serializer())) {
      producer.send(new ProducerRecord<>(topic.name(), key, value)).get();
    }
  }
}
