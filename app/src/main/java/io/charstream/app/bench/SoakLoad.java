package io.charstream.app.bench;

import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sustained load with complete accounting: keeps {@code concurrency} requests outstanding until
 * {@code total} were sent, reads every response partition with {@code read_committed}, and counts
 * final records per requestId, so a request answered twice (duplicated) or never (lost) shows.
 * After the last answer it keeps reading until the responses topic has been quiet for {@code
 * quiet}, to catch late duplicates.
 */
final class SoakLoad implements AutoCloseable {

  /** What a run saw. Latencies: send to final record. */
  record Report(
      int sent,
      int answered,
      int errors,
      int lost,
      int duplicated,
      long chars,
      double seconds,
      Latencies latencyMs,
      List<Double> windowRequestsPerSecond) {}

  private final Topics topics;
  private final KafkaProducer<String, byte[]> producer;
  private final KafkaConsumer<String, byte[]> consumer;

  SoakLoad(Map<String, Object> kafka, Topics topics) {
    this.topics = topics;
    Map<String, Object> p = new HashMap<>(kafka);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 2);
    producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    Map<String, Object> c = new HashMap<>(kafka);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
    consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    LoadGenerator.assignAtEnd(consumer, topics.generateResponses().name());
  }

  /**
   * Runs the load. {@code onAnswered} sees the number of distinct requests answered after each poll
   * (the command kills a generator at a chosen point through it).
   */
  Report run(
      String runId,
      int total,
      int concurrency,
      int length,
      String prompt,
      Duration window,
      Duration timeout,
      Duration quiet,
      IntConsumer onAnswered) {
    long[] sentAt = new long[total];
    int[] finals = new int[total];
    Latencies latency = new Latencies();
    List<Double> windows = new ArrayList<>();
    String prefix = runId + "-";
    int sent = 0;
    int answered = 0;
    int errors = 0;
    int duplicated = 0;
    long chars = 0;
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    long windowStart = start;
    int windowAnswered = 0;
    long lastRecord = System.nanoTime();
    while (System.nanoTime() < deadline) {
      if (sent < total && sent - answered < concurrency) {
        while (sent < total && sent - answered < concurrency) {
          String id = prefix + sent;
          GenerateRequest r = GenerateRequest.of(id, prompt, length, sent);
          sentAt[sent] = System.nanoTime();
          producer.send(
              new ProducerRecord<>(
                  topics.generateRequests().name(), id, Json.write(r, GenerateRequest.class)));
          sent++;
        }
        producer.flush();
      }
      for (ConsumerRecord<String, byte[]> rec : consumer.poll(Duration.ofMillis(20))) {
        lastRecord = System.nanoTime();
        int i = indexOf(rec.key(), prefix, total);
        if (i < 0 || rec.value() == null) continue;
        GenerateResponse resp = Json.read(rec.value(), GenerateResponse.class);
        if (resp.type() != GenerateResponse.Type.FINAL) continue;
        if (++finals[i] > 1) {
          duplicated++;
          continue;
        }
        latency.record((lastRecord - sentAt[i]) / 1e6);
        answered++;
        windowAnswered++;
        if (resp.finishReason() == GenerateResponse.FinishReason.ERROR) {
          errors++;
        } else {
          chars += resp.text().length();
        }
      }
      long now = System.nanoTime();
      if (now - windowStart >= window.toNanos()) {
        windows.add(windowAnswered * 1e9 / (now - windowStart));
        windowStart = now;
        windowAnswered = 0;
      }
      onAnswered.accept(answered);
      if (answered == total && now - lastRecord >= quiet.toNanos()) break;
    }
    // The load ended at the last answer; the quiet tail after it is not part of the throughput.
    double seconds = (lastRecord - start) / 1e9;
    return new Report(
        sent, answered, errors, sent - answered, duplicated, chars, seconds, latency, windows);
  }

  /** The request index of a response key of this run, or -1. */
  private static int indexOf(String key, String prefix, int total) {
    if (key == null || !key.startsWith(prefix)) return -1;
    try {
      int i = Integer.parseInt(key.substring(prefix.length()));
      return i >= 0 && i < total ? i : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
    consumer.close(Duration.ZERO);
  }
}
