package io.charstream.generator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's transactional producer, committing in the background (group commit): the worker
 * thread {@link #add}s records, then {@link #submit}s them with the consumed offsets as one
 * transaction that a committer thread begins, sends and commits while the worker keeps stepping.
 * While one transaction is in flight the next one collects everything answered meanwhile, so a
 * finished request waits for one commit round trip, not for a timer, and the number of transactions
 * adapts to the load. At most one transaction is in flight; outcomes arrive in order.
 *
 * <p>Errors are sorted at this boundary: a failed commit is reported as {@link Failed}, and {@link
 * #abort} then throws away the transaction and what was not handed over yet; fencing, authorization
 * and protocol errors are fatal there (rethrown); any other abort failure replaces the producer.
 * Owned by the worker thread (the committer thread only runs what it is handed).
 */
final class TransactionalOutput {

  private static final Logger log = LoggerFactory.getLogger(TransactionalOutput.class);

  /** What became of a submitted transaction. */
  sealed interface Outcome permits Committed, Failed {}

  /**
   * The transaction committed: its records are visible and {@code offsets} are the new restart
   * points; {@code any} is false when there was nothing to commit. {@code nanos}: from submit to
   * commit.
   */
  record Committed(Map<TopicPartition, OffsetAndMetadata> offsets, boolean any, long nanos)
      implements Outcome {}

  /**
   * The transaction failed: {@link #abort} it, and re-read what it answered. When {@link #fatal}
   * (fenced by another instance, not authorized, unsupported), nothing is worth retrying: the
   * worker stops.
   */
  record Failed(KafkaException error) implements Outcome {
    boolean fatal() {
      return error instanceof ProducerFencedException
          || error instanceof InvalidProducerEpochException
          || error instanceof UnsupportedVersionException
          || error instanceof AuthorizationException
          || error instanceof AuthenticationException;
    }
  }

  private final Supplier<Producer<String, byte[]>> producers;
  private final ExecutorService committer;
  private final List<ProducerRecord<String, byte[]>> pending = new ArrayList<>();
  private Producer<String, byte[]> producer;

  /** A transaction was begun and neither committed nor aborted (written by the committer). */
  private volatile boolean open;

  private Future<Outcome> inFlight;

  TransactionalOutput(Supplier<Producer<String, byte[]>> producers, String name) {
    this.producers = producers;
    this.committer =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "generator-commit-" + name);
              t.setDaemon(true);
              return t;
            });
  }

  /** Creates the producer and fences any earlier one with the same transactional.id. */
  void start() {
    producer = producers.get();
    producer.initTransactions();
  }

  /** Adds a record to the next transaction. */
  void add(ProducerRecord<String, byte[]> record) {
    pending.add(record);
  }

  /** Records added and not yet submitted. */
  int pending() {
    return pending.size();
  }

  /** True while a submitted transaction has no outcome collected yet. */
  boolean inFlight() {
    return inFlight != null;
  }

  /**
   * Hands the added records and {@code offsets} (for {@code group}) to the committer as one
   * transaction and returns at once; its {@link Outcome} comes from {@link #poll} or {@link
   * #awaitDone}.
   *
   * @throws IllegalStateException while another transaction is in flight
   */
  void submit(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group) {
    if (inFlight != null) {
      throw new IllegalStateException("a transaction is in flight: collect its outcome first");
    }
    List<ProducerRecord<String, byte[]>> records = List.copyOf(pending);
    pending.clear();
    Map<TopicPartition, OffsetAndMetadata> o = Map.copyOf(offsets);
    long submitted = System.nanoTime();
    inFlight = committer.submit(() -> commit(records, o, group, submitted));
  }

  /** Runs on the committer thread. */
  private Outcome commit(
      List<ProducerRecord<String, byte[]>> records,
      Map<TopicPartition, OffsetAndMetadata> offsets,
      ConsumerGroupMetadata group,
      long submitted) {
    if (records.isEmpty() && offsets.isEmpty()) {
      return new Committed(offsets, false, 0);
    }
    try {
      producer.beginTransaction();
      open = true;
      for (ProducerRecord<String, byte[]> r : records) {
        producer.send(r);
      }
      if (!offsets.isEmpty()) {
        producer.sendOffsetsToTransaction(offsets, group);
      }
      producer.commitTransaction();
      open = false;
      return new Committed(offsets, true, System.nanoTime() - submitted);
    } catch (KafkaException e) {
      return new Failed(e);
    }
  }

  /** The outcome of the transaction in flight if it is done (collecting it), else null. */
  Outcome poll() {
    return inFlight != null && inFlight.isDone() ? collect(Duration.ZERO) : null;
  }

  /** Waits for the transaction in flight, however long; its outcome, or null when none. */
  Outcome awaitDone() {
    return inFlight == null ? null : collect(null);
  }

  private Outcome collect(Duration timeout) {
    try {
      Outcome o =
          timeout == null ? inFlight.get() : inFlight.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      inFlight = null;
      return o;
    } catch (TimeoutException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while waiting for a transaction", e);
    } catch (ExecutionException e) {
      inFlight = null;
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("the committer failed", cause);
    }
  }

  /**
   * Throws away the open transaction (after a {@link Failed} outcome) and the records not yet
   * submitted; a producer that cannot abort is replaced. Call with nothing in flight.
   */
  void abort() {
    if (inFlight != null) {
      throw new IllegalStateException("a transaction is in flight: collect its outcome first");
    }
    pending.clear();
    try {
      if (open) {
        producer.abortTransaction();
      }
    } catch (ProducerFencedException
        | InvalidProducerEpochException
        | UnsupportedVersionException
        | AuthorizationException
        | AuthenticationException e) {
      throw e; // another instance took this transactional.id, or we may not write: nothing to retry
    } catch (KafkaException e) {
      log.warn("abort failed, starting a new producer: {}", e.toString());
      producer.close(Duration.ZERO);
      start();
    }
    open = false;
  }

  /** Closes after the last commit (graceful end). */
  void close() {
    committer.shutdown();
    producer.close();
  }

  /** Closes at once, leaving any open transaction to time out on the broker (a crash). */
  void halt() {
    committer.shutdownNow();
    if (producer != null) {
      producer.close(Duration.ZERO);
    }
  }
}
