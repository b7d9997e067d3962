package io.charstream.app.client;

import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.json.MessageFormatException;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes generate requests and routes their answers back, any number at a time: {@code
 * charstream prompt} sends one, the console's {@code /v1/completions} many concurrently.
 *
 * <p>One reader thread owns the response consumer. It reads only the response partitions that a
 * pending request's id hashes to (the default partitioner's murmur2, as the worker's producer
 * uses), with {@code read_committed}; a partition is assigned from its end offset, taken before the
 * request that needs it is sent, and released when no pending request hashes to it any more.
 * Streamed chunks are delivered in order, once each (a request replayed after a worker crash
 * streams again from 0). With nothing pending the reader blocks on its queue and polls nothing.
 */
public final class PromptClient implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PromptClient.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration METADATA = Duration.ofSeconds(30);

  private final Topics topics;
  private final KafkaProducer<String, byte[]> producer;
  private final KafkaConsumer<String, byte[]> consumer;
  private final LinkedBlockingQueue<Pending> submitted = new LinkedBlockingQueue<>();
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private final Thread reader;
  private volatile boolean closed;

  /** A request between submit and its final answer; its mutable state is the reader thread's. */
  private static final class Pending {
    final GenerateRequest request;
    final Consumer<GenerateResponse> onChunk;
    final CompletableFuture<GenerateResponse> result = new CompletableFuture<>();
    TopicPartition partition;
    int nextSeq;

    Pending(GenerateRequest request, Consumer<GenerateResponse> onChunk) {
      this.request = request;
      this.onChunk = onChunk;
    }
  }

  public PromptClient(Map<String, Object> kafkaProps, Topics topics) {
    this.topics = topics;
    Map<String, Object> p = new HashMap<>(kafkaProps);
    p.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
    producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    Map<String, Object> c = new HashMap<>(kafkaProps);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    reader = new Thread(this::readLoop, "prompt-client-responses");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Sends {@code request} and returns its final response (which may be an error response).
   *
   * @param onChunk receives each streamed chunk's text once, in order (not called without stream)
   */
  public GenerateResponse call(GenerateRequest request, Consumer<String> onChunk, Duration timeout)
      throws TimeoutException {
    CompletableFuture<GenerateResponse> answer = submit(request, c -> onChunk.accept(c.text()));
    try {
      return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      forget(request.requestId());
      throw new TimeoutException(
          "no response to request "
              + request.requestId()
              + " within "
              + timeout.toSeconds()
              + " s: is a generator running (charstream generator) on the same brokers and topic"
              + " prefix?");
    } catch (InterruptedException e) {
      forget(request.requestId());
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + request.requestId(), e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r
          ? r
          : new IllegalStateException(e.getCause().getMessage(), e.getCause());
    }
  }

  /**
   * Sends {@code request} once its response partition is being read; the future completes with the
   * final response, or exceptionally when the request could not be sent. The caller bounds the wait
   * and calls {@link #forget} when it gives up.
   *
   * @param onChunk each streamed chunk, once, in order, on the reader thread (keep it short)
   * @throws IllegalArgumentException when a request with this id is already pending
   */
  public CompletableFuture<GenerateResponse> submit(
      GenerateRequest request, Consumer<GenerateResponse> onChunk) {
    if (closed) throw new IllegalStateException("the prompt client is closed");
    Pending p = new Pending(request, onChunk);
    if (pending.putIfAbsent(request.requestId(), p) != null) {
      throw new IllegalArgumentException("request " + request.requestId() + " is already pending");
    }
    submitted.add(p);
    consumer.wakeup(); // the reader may be in poll(): let it assign the partition now
    return p.result;
  }

  /**
   * Cancels {@code requestId}: a tombstone (its key, a null value) on the requests topic. The
   * generator answers a queued or running request at once, finishReason cancelled with the text so
   * far; for an answered one it does nothing. Keep waiting for the answer.
   */
  public void cancel(String requestId) {
    producer.send(new ProducerRecord<>(topics.generateRequests().name(), requestId, null));
    producer.flush();
  }

  /** Stops waiting for {@code requestId}: its answer, if it comes, is dropped. */
  public void forget(String requestId) {
    Pending p = pending.remove(requestId);
    if (p != null) p.result.cancel(false);
  }

  /** Requests sent (or about to be) whose final answer has not arrived. */
  public int pendingCount() {
    return pending.size();
  }

  private void readLoop() {
    Set<TopicPartition> assigned = new HashSet<>();
    List<Pending> toSend = new ArrayList<>();
    while (!closed) {
      try {
        if (assigned.isEmpty() && toSend.isEmpty()) {
          Pending first = submitted.take(); // idle: block here, poll nothing
          if (first.request == null) continue; // close()'s wake-up
          toSend.add(first);
        }
        submitted.drainTo(toSend);
        toSend.removeIf(p -> p.request == null);
        if (!toSend.isEmpty()) {
          assignFromEnd(toSend, assigned);
          for (Pending p : toSend) send(p);
          toSend.clear();
        }
        for (ConsumerRecord<String, byte[]> rec : consumer.poll(POLL)) route(rec);
        release(assigned);
      } catch (WakeupException e) {
        // submit() or close() woke the poll; the loop picks up what they left
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        if (closed) return;
        LOG.warn("reading responses failed: {}", e.toString());
        failAll(e, toSend, assigned);
      }
    }
  }

  /** Assigns the partitions these requests need from their end; nothing is sent before. */
  private void assignFromEnd(List<Pending> toSend, Set<TopicPartition> assigned) {
    String topic = topics.generateResponses().name();
    int partitions = consumer.partitionsFor(topic, METADATA).size();
    List<TopicPartition> fresh = new ArrayList<>();
    for (Pending p : toSend) {
      byte[] key = p.request.requestId().getBytes(StandardCharsets.UTF_8);
      p.partition = new TopicPartition(topic, Utils.toPositive(Utils.murmur2(key)) % partitions);
      if (assigned.add(p.partition)) fresh.add(p.partition);
    }
    if (fresh.isEmpty()) return;
    consumer.assign(assigned);
    consumer.seekToEnd(fresh);
    // Resolve the end offsets now, before any of these requests can be answered. A wake-up here
    // leaves them unresolved: seekToEnd again on the next turn.
    try {
      fresh.forEach(consumer::position);
    } catch (WakeupException e) {
      fresh.forEach(assigned::remove);
      consumer.assign(assigned);
      throw e;
    }
  }

  private void send(Pending p) {
    if (p.result.isDone()) return; // forgotten before it was sent
    producer.send(
        new ProducerRecord<>(
            topics.generateRequests().name(),
            p.request.requestId(),
            Json.write(p.request, GenerateRequest.class)),
        (meta, e) -> {
          if (e != null && pending.remove(p.request.requestId(), p)) {
            p.result.completeExceptionally(
                new IllegalStateException(
                    "could not send request "
                        + p.request.requestId()
                        + " to "
                        + topics.generateRequests().name()
                        + ": "
                        + e.getMessage(),
                    e));
          }
        });
  }

  private void route(ConsumerRecord<String, byte[]> rec) {
    Pending p = rec.key() == null ? null : pending.get(rec.key());
    if (p == null || rec.value() == null) return;
    GenerateResponse r;
    try {
      r = Json.read(rec.value(), GenerateResponse.class);
    } catch (MessageFormatException e) {
      // Not a generator's answer (someone else wrote to the topic): the real one may still come.
      LOG.warn("skipping an unreadable response keyed {}: {}", rec.key(), e.getMessage());
      return;
    }
    if (r.type() == GenerateResponse.Type.FINAL) {
      if (pending.remove(rec.key(), p)) p.result.complete(r);
    } else if (r.sequence() == p.nextSeq) {
      p.nextSeq++;
      p.onChunk.accept(r);
    }
  }

  /** Stops reading partitions no pending request hashes to. */
  private void release(Set<TopicPartition> assigned) {
    Set<TopicPartition> needed = new HashSet<>();
    for (Pending p : pending.values()) if (p.partition != null) needed.add(p.partition);
    if (assigned.retainAll(needed)) consumer.assign(assigned);
  }

  private void failAll(RuntimeException e, List<Pending> toSend, Set<TopicPartition> assigned) {
    for (Pending p : List.copyOf(pending.values())) {
      if (pending.remove(p.request.requestId(), p)) p.result.completeExceptionally(e);
    }
    toSend.clear();
    assigned.clear();
    try {
      consumer.unsubscribe();
      Thread.sleep(1_000); // a broken connection: do not spin
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      closed = true;
    } catch (RuntimeException ignored) {
      // the consumer is being closed
    }
  }

  @Override
  public void close() {
    closed = true;
    submitted.add(new Pending(null, null));
    consumer.wakeup();
    try {
      reader.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Pending p : List.copyOf(pending.values())) {
      p.result.completeExceptionally(new IllegalStateException("the prompt client was closed"));
    }
    pending.clear();
    producer.close();
    consumer.close();
  }
}
