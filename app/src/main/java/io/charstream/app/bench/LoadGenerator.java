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
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
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
 * A closed-loop load generator: keeps {@code concurrency} requests outstanding, reading every
 * response partition with read_committed (what a client sees). Latency is measured here (send to
 * final record); time to first character comes from the worker's timings. A run has a ramp (the
 * first requests, from a cold start of the loop: they all start together) and a steady window,
 * summarised apart.
 */
final class LoadGenerator implements AutoCloseable {

  /**
   * One answered request; times are System.nanoTime of this process. From the worker's timings
   * (counted from the request record's timestamp): time to first character, time to the final
   * response (before its commit), and the generation rate of the request in its slot.
   */
  record Answer(
      long sentNanos,
      long answeredNanos,
      int chars,
      double ttfcMs,
      double workerMs,
      double slotCharsPerSecond,
      boolean error) {
    double latencyMs() {
      return (answeredNanos - sentNanos) / 1e6;
    }
  }

  /** A run: its answers in answer order and where the ramp ended and the steady window ended. */
  record Run(List<Answer> answers, long startNanos, long rampEndNanos, long endNanos) {

    /** The ramp: requests sent before the ramp ended; throughput over the ramp. */
    Window ramp() {
      return Window.of(answers, startNanos, rampEndNanos);
    }

    /** The steady state: requests sent after the ramp; throughput over the steady window. */
    Window steady() {
      return Window.of(answers, rampEndNanos, endNanos);
    }
  }

  /**
   * A window of a run: the requests sent in it (latencies, errors) and the characters of the
   * requests answered in it (throughput).
   */
  record Window(
      double seconds,
      int requests,
      int answered,
      long chars,
      int errors,
      Latencies latencyMs,
      Latencies ttfcMs,
      Latencies workerMs,
      double slotCharsPerSecondMean) {

    static Window of(List<Answer> answers, long fromNanos, long toNanos) {
      return of(List.of(new Run(answers, fromNanos, fromNanos, toNanos)));
    }

    /** The steady windows of several runs as one: their seconds, requests and answers summed. */
    static Window of(List<Run> runs) {
      Latencies latency = new Latencies();
      Latencies ttfc = new Latencies();
      Latencies worker = new Latencies();
      double slotRate = 0;
      int requests = 0;
      int answered = 0;
      int errors = 0;
      long chars = 0;
      long nanos = 0;
      for (Run run : runs) {
        long fromNanos = run.rampEndNanos();
        long toNanos = run.endNanos();
        nanos += toNanos - fromNanos;
        for (Answer a : run.answers()) {
          if (a.sentNanos() >= fromNanos && a.sentNanos() < toNanos) {
            requests++;
            latency.record(a.latencyMs());
            ttfc.record(a.ttfcMs());
            worker.record(a.workerMs());
            slotRate += a.error() ? 0 : a.slotCharsPerSecond();
            errors += a.error() ? 1 : 0;
          }
          if (a.answeredNanos() >= fromNanos && a.answeredNanos() < toNanos) {
            answered++;
            chars += a.chars();
          }
        }
      }
      return new Window(
          nanos / 1e9,
          requests,
          answered,
          chars,
          errors,
          latency,
          ttfc,
          worker,
          slotRate / Math.max(1, requests - errors));
    }

    double requestsPerSecond() {
      return answered / seconds;
    }

    double charsPerSecond() {
      return chars / seconds;
    }
  }

  private final Topics topics;
  private final KafkaProducer<String, byte[]> producer;
  private final KafkaConsumer<String, byte[]> consumer;

  LoadGenerator(Map<String, Object> kafka, Topics topics) {
    this.topics = topics;
    Map<String, Object> p = new HashMap<>(kafka);
    // Requests are sent in bursts (every answer a poll brought is replaced at once) and each burst
    // is flushed, which sends it without waiting for the linger. With linger.ms=0 the producer's
    // sender took the first record of a burst alone and the rest a produce request later (3-5 ms
    // on two busy cores): the worker started one request ahead of the others and a wave of 64
    // stayed split into cohorts with their own transactions. Kafka's default linger (5 ms) with the
    // flush sends a burst as one request, as a client batching its sends would.
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    Map<String, Object> c = new HashMap<>(kafka);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    assignAtEnd(consumer, topics.generateResponses().name());
  }

  /**
   * Assigns {@code consumer} every partition of {@code topic} at its end, resolved now: before the
   * first request goes out, so every answer to a request sent later is read.
   */
  static void assignAtEnd(KafkaConsumer<?, ?> consumer, String topic) {
    List<TopicPartition> tps = new ArrayList<>();
    for (PartitionInfo i : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
      tps.add(new TopicPartition(topic, i.partition()));
    }
    consumer.assign(tps);
    consumer.seekToEnd(tps);
    tps.forEach(consumer::position);
  }

  /**
   * Keeps {@code concurrency} requests outstanding through the ramp (at least {@code minRamp}, then
   * until {@code steadyNow} says so or {@code maxRamp} has passed) and then {@code steady} (and
   * until at least {@code minSteady} requests sent after the ramp are answered), then stops sending
   * and waits for the outstanding ones. {@code atRampEnd} and {@code atEnd} run on this thread when
   * the steady window starts and ends (to snapshot the workers' counters).
   */
  Run run(
      String runId,
      int concurrency,
      int length,
      String prompt,
      Duration minRamp,
      Duration maxRamp,
      BooleanSupplier steadyNow,
      Duration steady,
      int minSteady,
      Duration timeout,
      Runnable atRampEnd,
      Runnable atEnd)
      throws TimeoutException {
    Map<String, Long> sentAt = new HashMap<>();
    List<Answer> answers = new ArrayList<>();
    int sent = 0;
    int steadyAnswered = 0;
    long start = System.nanoTime();
    long rampEnd = Long.MAX_VALUE;
    long steadyEnd = Long.MAX_VALUE;
    long end = -1;
    long deadline = start + timeout.toNanos();
    while (end < 0 || !sentAt.isEmpty()) {
      long now = System.nanoTime();
      if (rampEnd == Long.MAX_VALUE
          && now - start >= minRamp.toNanos()
          && (steadyNow.getAsBoolean() || now - start >= maxRamp.toNanos())) {
        rampEnd = now;
        steadyEnd = rampEnd + steady.toNanos();
        deadline = Math.max(deadline, rampEnd + timeout.toNanos());
        atRampEnd.run();
      }
      if (end < 0 && now >= steadyEnd && steadyAnswered >= minSteady) {
        end = now; // the steady window ends; what is outstanding finishes outside it
        atEnd.run();
      }
      if (end < 0 && sentAt.size() < concurrency) {
        while (sentAt.size() < concurrency) {
          String id = runId + "-" + sent;
          GenerateRequest r = GenerateRequest.of(id, prompt, length, sent);
          sentAt.put(id, System.nanoTime());
          producer.send(
              new ProducerRecord<>(
                  topics.generateRequests().name(), id, Json.write(r, GenerateRequest.class)));
          sent++;
        }
        producer.flush();
      }
      if (now > deadline) {
        throw new TimeoutException(
            answers.size()
                + " of "
                + sent
                + " requests answered within "
                + timeout.toSeconds()
                + " s");
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
        long answeredAt = System.nanoTime();
        sentAt.remove(rec.key());
        boolean error = resp.finishReason() == GenerateResponse.FinishReason.ERROR;
        double ttfc =
            error || resp.timings().timeToFirstCharMs() == null
                ? Double.NaN
                : resp.timings().timeToFirstCharMs();
        int chars = error ? 0 : resp.text().codePointCount(0, resp.text().length());
        double workerMs = error ? Double.NaN : resp.timings().totalMs();
        double slotRate = error ? 0 : resp.timings().charsPerSecond();
        answers.add(new Answer(t0, answeredAt, chars, ttfc, workerMs, slotRate, error));
        if (t0 >= rampEnd) {
          steadyAnswered++;
        }
      }
    }
    return new Run(answers, start, rampEnd, end);
  }

  @Override
  public void close() {
    producer.close();
    consumer.close(Duration.ZERO);
  }
}
