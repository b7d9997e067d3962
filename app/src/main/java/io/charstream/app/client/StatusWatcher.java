package io.charstream.app.client;

import io.charstream.schemas.Topic;
import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.json.MessageFormatException;
import io.charstream.schemas.message.TrainingStatus;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads the training-status topic without a consumer group: first everything already there (the
 * latest state of each job), then, when following, each new event as it comes. Unreadable records
 * are skipped.
 */
public final class StatusWatcher implements AutoCloseable {
  private final KafkaConsumer<String, byte[]> consumer;
  private final List<TopicPartition> partitions;
  private final Predicate<TrainingStatus> filter;

  public StatusWatcher(
      Map<String, Object> clientProps, Topics topics, Predicate<TrainingStatus> filter) {
    Topic<String, TrainingStatus> topic = topics.trainingStatus();
    Map<String, Object> p = new HashMap<>(clientProps);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    this.partitions =
        consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
            .map(i -> new TopicPartition(i.topic(), i.partition()))
            .toList();
    consumer.assign(partitions);
    this.filter = filter;
  }

  /** Every job's latest status so far, in order of last update; leaves the reader at the end. */
  public Map<String, TrainingStatus> latest() {
    consumer.seekToBeginning(partitions);
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
    Map<String, TrainingStatus> jobs = new LinkedHashMap<>();
    while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        TrainingStatus s = parse(r);
        if (s != null && filter.test(s)) {
          jobs.remove(s.jobId());
          jobs.put(s.jobId(), s);
        }
      }
    }
    return jobs;
  }

  /** Starts following from the end of the topic (what {@link #next} returns comes after now). */
  public void fromEnd() {
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position);
  }

  /** The next matching events, waiting up to {@code timeout}. */
  public List<TrainingStatus> next(Duration timeout) {
    List<TrainingStatus> out = new java.util.ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : consumer.poll(timeout)) {
      TrainingStatus s = parse(r);
      if (s != null && filter.test(s)) out.add(s);
    }
    return out;
  }

  private static TrainingStatus parse(ConsumerRecord<String, byte[]> r) {
    if (r.value() == null) return null;
    try {
      return Json.read(r.value(), TrainingStatus.class);
    } catch (MessageFormatException e) {
      return null;
    }
  }

  @Override
  public void close() {
    consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
  }
}
