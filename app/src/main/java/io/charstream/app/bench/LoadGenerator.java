package io.charstream.app.bench;

import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A closed-loop load generator: keeps {@code concurrency} requests outstanding until {@code total}
 * are answered, reading every response partition with read_committed. Latency is measured here
 * (send to final record); time to first character comes from the worker's timings (same clock).
 */
final class LoadGenerator implements AutoCloseable {

  /** What one run measured. */
  record Result(
      int requests, double seconds, long chars, double[] latencyMs, double[] ttfcMs, int errors) {
    double requestsPerSecond() {
      return requests / seconds;
    }

    double charsPerSecond() {
      return chars / seconds;
    }

    static double percentile(double[] sorted, double p) {
      if (sorted.length == 0) {
        return Double.NaN;
      }
      int i = (int) Math.ceil(p * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
  }

  private final Topics topics;
  private final KafkaProducer<String, byte[]> producer;
  private final KafkaConsumer<String, byte[]> consumer;

  LoadGenerator(Map<String, Object> kafka, Topics topics) {
    this.topics = topics;
    Map<String, Object> p = new HashMap<>(kafka);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    Map<String, Object> c = new HashMap<>(kafka);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    String topic = topics.generateResponses().name();
    List<TopicPartition> tps = new ArrayList<>();
    for (PartitionInfo i : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
      tps.add(new TopicPartition(topic, i.partition()));
    }
    consumer.assign(tps);
    consumer.seekToEnd(tps);
    tps.forEach(consumer::position);
  }

  Result run(String runId, int total, int concurrency, int length, String prompt, Duration timeout)
      throws TimeoutException {
    Map<String, Long> sentAt = new HashMap<>();
    double[] latency = new double[total];
    double[] ttfc = new double[total];
    int done = 0;
    int sent = 0;
    int errors = 0;
    long chars = 0;
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    while (done < total) {
      while (sent < total && sent - done < concurrency) {
        String id = runId + "-" + sent;
        GenerateRequest r =
            new GenerateRequest(
                GenerateRequest.SCHEMA_VERSION,
                id,
                prompt,
                length,
                null,
                null,
                (long) sent,
                null,
                null,
                null,
                null);
        sentAt.put(id, System.nanoTime());
        producer.send(
            new ProducerRecord<>(
                topics.generateRequests().name(), id, Json.write(r, GenerateRequest.class)));
        sent++;
      }
      producer.flush();
      if (System.nanoTime() > deadline) {
        throw new TimeoutException(
            done + " of " + total + " requests answered within " + timeout.toSeconds() + " s");
      }
      for (ConsumerRecord<String, byte[]> rec : consumer.poll(Duration.ofMillis(20))) {
        Long t0 = rec.key() == null ? null : sentAt.get(rec.key());
        if (t0 == null) {
          continue;
        }
        GenerateResponse resp = Json.read(rec.value(), GenerateResponse.class);
        if (resp.type() != GenerateResponse.Type.FINAL) {
          continue;
        }
        sentAt.remove(rec.key());
        latency[done] = (System.nanoTime() - t0) / 1e6;
        if (resp.finishReason() == GenerateResponse.FinishReason.ERROR) {
          errors++;
          ttfc[done] = Double.NaN;
        } else {
          ttfc[done] =
              resp.timings().timeToFirstCharMs() == null
                  ? Double.NaN
                  : resp.timings().timeToFirstCharMs();
          chars += resp.text().codePointCount(0, resp.text().length());
        }
        done++;
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Arrays.sort(latency);
    Arrays.sort(ttfc);
    return new Result(total, seconds, chars, latency, ttfc, errors);
  }

  @Override
  public void close() {
    producer.close();
    consumer.close(Duration.ZERO);
  }
}
