package io.charstream.generator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
 * <p>A transaction can also be {@link #prepare}d ahead of its answers: begun, with the offsets the
 * worker expects to commit once the requests about to finish are answered. The offset commit is the
 * slow part of a transaction (the group coordinator adds its partition to the transaction, and
 * waits for the previous transaction's markers), so the answers then wait only for their own
 * records and the commit. The next {@link #submit} continues the prepared transaction; offsets it
 * sends for a partition replace the prepared ones (the group coordinator keeps a transaction's last
 * offset commit per partition).
 *
 * <p>Errors are sorted at this boundary: a failed commit is reported as {@link Failed}, and {@link
 * #abort} then throws away the transaction and what was not handed over yet; authorization and
 * protocol errors are fatal there (rethrown); any other abort failure replaces the producer. So
 * does fencing, as Kafka Streams does for a migrated task: the broker aborts a transaction left
 * open past transaction.timeout.ms (a worker cut off from the broker, or paused) and bumps its
 * producer epoch, and the worker carries on with a new producer from the last commit. Fencing more
 * than {@link #FENCED_RESTARTS_MAX} times within {@link #FENCED_WINDOW_NANOS} is fatal: another
 * live instance uses the same transactional.id (two workers with one name). Owned by the worker
 * thread (the committer thread only runs what it is handed).
 */
final class TransactionalOutput {

  private static final Logger log = LoggerFactory.getLogger(TransactionalOutput.class);

  /** What became of a submitted (or prepared) transaction. */
  sealed interface Outcome permits Prepared, Committed, Failed {}

  /** A prepared transaction is open with its offsets: the next {@link #submit} continues it. */
  record Prepared() implements Outcome {}

  /**
   * The transaction committed: its records are visible and {@code offsets} are the new restart
   * points; {@code any} is false when there was nothing to commit. {@code nanos}: from submit to
   * commit.
   */
  record Committed(Map<TopicPartition, OffsetAndMetadata> offsets, boolean any, long nanos)
      implements Outcome {}

  /**
   * The transaction failed: {@link #abort} it, and re-read what it answered (nothing when {@code
   * preparing}: it failed before it held any record, and {@link #abortPrepared} keeps the records
   * added since). When {@link #fatal} (fenced by another instance, not authorized, unsupported),
   * nothing is worth retrying: the worker stops.
   */
  record Failed(KafkaException error, boolean preparing) implements Outcome {
    /** Not worth retrying: not authorized, or a protocol the broker does not support. */
    boolean fatal() {
      return refused(error);
    }

    /** This producer was fenced: {@link #abort} replaces it (within the fencing budget). */
    boolean fenced() {
      return TransactionalOutput.fenced(error);
    }
  }

  /** Fencings a worker recovers from within {@link #FENCED_WINDOW_NANOS}; one more is fatal. */
  static final int FENCED_RESTARTS_MAX = 3;

  static final long FENCED_WINDOW_NANOS = TimeUnit.MINUTES.toNanos(10);

  private final java.util.ArrayDeque<Long> fencings = new java.util.ArrayDeque<>();

  static boolean fenced(Throwable e) {
    return e instanceof ProducerFencedException || e instanceof InvalidProducerEpochException;
  }

  static boolean refused(Throwable e) {
    return e instanceof UnsupportedVersionException
        || e instanceof AuthorizationException
        || e instanceof AuthenticationException;
  }

  private final Supplier<Producer<String, byte[]>> producers;
  private final ExecutorService committer;
  private final List<ProducerRecord<String, byte[]>> pending = new ArrayList<>();
  private Producer<String, byte[]> producer;

  /** A transaction was begun and neither committed nor aborted (written by the committer). */
  private volatile boolean open;

  private Future<Outcome> inFlight;

  /** Offsets sent with the prepared transaction, or null when none is prepared. */
  private Map<TopicPartition, OffsetAndMetadata> prepared;

  private long preparedNanos;

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

  /** True while a submitted (or prepared) transaction has no outcome collected yet. */
  boolean inFlight() {
    return inFlight != null;
  }

  /**
   * The offsets sent with the prepared transaction (the next {@link #submit} continues it), or null
   * when none is prepared.
   */
  Map<TopicPartition, OffsetAndMetadata> prepared() {
    return prepared;
  }

  /** When the prepared transaction was handed over (System.nanoTime); meaningless without one. */
  long preparedNanos() {
    return preparedNanos;
  }

  /**
   * Has the committer begin the next transaction and send {@code offsets} (for {@code group}) with
   * it, ahead of its records; returns at once, its {@link Prepared} outcome comes from {@link
   * #poll} or {@link #awaitDone}.
   *
   * @throws IllegalStateException while a transaction is in flight or prepared
   */
  void prepare(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group) {
    if (inFlight != null || prepared != null) {
      throw new IllegalStateException("a transaction is in flight or prepared already");
    }
    Map<TopicPartition, OffsetAndMetadata> o = Map.copyOf(offsets);
    prepared = o;
    preparedNanos = System.nanoTime();
    inFlight = committer.submit(() -> begin(o, group));
  }

  /** Runs on the committer thread. */
  private Outcome begin(
      Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group) {
    try {
      producer.beginTransaction();
      open = true;
      if (!offsets.isEmpty()) {
        producer.sendOffsetsToTransaction(offsets, group);
      }
      return new Prepared();
    } catch (KafkaException e) {
      return new Failed(e, true);
    }
  }

  /**
   * Hands the added records and {@code offsets} (for {@code group}) to the committer as one
   * transaction, the prepared one if there is one, and returns at once; its {@link Outcome} comes
   * from {@link #poll} or {@link #awaitDone}. With a prepared transaction, {@code offsets} need
   * only hold what differs from {@link #prepared()}; the outcome's offsets are the prepared ones
   * with these in their place.
   *
   * @throws IllegalStateException while another transaction is in flight
   */
  void submit(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group) {
    if (inFlight != null) {
      throw new IllegalStateException("a transaction is in flight: collect its outcome first");
    }
    List<ProducerRecord<String, byte[]>> records = List.copyOf(pending);
    pending.clear();
    Map<TopicPartition, OffsetAndMetadata> send = Map.copyOf(offsets);
    Map<TopicPartition, OffsetAndMetadata> o;
    boolean begun = prepared != null;
    if (begun) {
      Map<TopicPartition, OffsetAndMetadata> effective = new HashMap<>(prepared);
      effective.putAll(send);
      o = Map.copyOf(effective);
      prepared = null;
    } else {
      o = send;
    }
    long submitted = System.nanoTime();
    inFlight = committer.submit(() -> commit(records, send, o, group, begun, submitted));
  }

  /**
   * Runs on the committer thread: sends {@code records} and {@code send} in the transaction (begun
   * already when {@code begun}) and commits it; {@code offsets} are what it commits in all.
   */
  private Outcome commit(
      List<ProducerRecord<String, byte[]>> records,
      Map<TopicPartition, OffsetAndMetadata> send,
      Map<TopicPartition, OffsetAndMetadata> offsets,
      ConsumerGroupMetadata group,
      boolean begun,
      long submitted) {
    if (!begun && records.isEmpty() && offsets.isEmpty()) {
      return new Committed(offsets, false, 0);
    }
    try {
      if (!begun) {
        producer.beginTransaction();
        open = true;
      }
      for (ProducerRecord<String, byte[]> r : records) {
        producer.send(r);
      }
      if (!send.isEmpty()) {
        producer.sendOffsetsToTransaction(send, group);
      }
      producer.commitTransaction();
      open = false;
      return new Committed(offsets, true, System.nanoTime() - submitted);
    } catch (KafkaException e) {
      return new Failed(e, false);
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
   * Throws away the open transaction (after a {@link Failed} outcome, or a prepared one) and the
   * records not yet submitted; a producer that cannot abort is replaced. Call with nothing in
   * flight.
   */
  void abort() {
    abortPrepared();
    pending.clear();
  }

  /**
   * Throws away the open transaction when it holds no records (a prepared one, or one whose
   * preparing failed), keeping the records added since for the next one. Call with nothing in
   * flight.
   */
  void abortPrepared() {
    if (inFlight != null) {
      throw new IllegalStateException("a transaction is in flight: collect its outcome first");
    }
    prepared = null;
    try {
      if (open) {
        producer.abortTransaction();
      }
    } catch (UnsupportedVersionException | AuthorizationException | AuthenticationException e) {
      throw e; // we may not write: nothing to retry
    } catch (ProducerFencedException | InvalidProducerEpochException e) {
      open = false;
      replaceFenced(e);
    } catch (KafkaException e) {
      log.warn("abort failed, starting a new producer: {}", e.toString());
      restart();
    }
    open = false;
  }

  /**
   * Replaces a producer that {@code error} fenced (counted against the fencing budget, rethrown
   * past it); the transaction it had open is gone with it: call {@link #abort} next as after any
   * failure.
   */
  void replaceFenced(KafkaException error) {
    if (inFlight != null) {
      throw new IllegalStateException("a transaction is in flight: collect its outcome first");
    }
    fencedAgain(error, System.nanoTime());
    log.warn(
        "producer fenced ({}): its transaction was aborted by the broker, or another instance took"
            + " this transactional.id; starting a new producer ({} of {} fencings allowed in 10"
            + " min)",
        error.toString(),
        fencings.size(),
        FENCED_RESTARTS_MAX);
    open = false;
    prepared = null;
    restart();
  }

  private void restart() {
    producer.close(Duration.ZERO);
    start();
  }

  /**
   * Counts a fencing at {@code nowNanos}; rethrows {@code e} when it is one more than {@link
   * #FENCED_RESTARTS_MAX} within {@link #FENCED_WINDOW_NANOS}.
   */
  void fencedAgain(KafkaException e, long nowNanos) {
    while (!fencings.isEmpty() && nowNanos - fencings.peekFirst() > FENCED_WINDOW_NANOS) {
      fencings.removeFirst();
    }
    fencings.addLast(nowNanos);
    if (fencings.size() > FENCED_RESTARTS_MAX) {
      log.error(
          "producer fenced {} times within 10 min: another live instance uses this"
              + " transactional.id (give each generator instance its own name); stopping",
          fencings.size());
      throw e;
    }
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
