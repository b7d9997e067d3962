package io.charstream.generator;

import java.time.Duration;
import java.util.Map;
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
 * The worker's transactional producer: a transaction begins with the first record sent after a
 * commit, and {@link #commit} closes it together with the consumed offsets. Errors are sorted at
 * this boundary: fencing, authorization and protocol errors are fatal (rethrown); anything else on
 * abort replaces the producer. Owned by the worker thread.
 */
final class TransactionalOutput {

  private static final Logger log = LoggerFactory.getLogger(TransactionalOutput.class);

  private final Supplier<Producer<String, byte[]>> producers;
  private Producer<String, byte[]> producer;
  private boolean open;

  TransactionalOutput(Supplier<Producer<String, byte[]>> producers) {
    this.producers = producers;
  }

  /** Creates the producer and fences any earlier one with the same transactional.id. */
  void start() {
    producer = producers.get();
    producer.initTransactions();
  }

  void send(ProducerRecord<String, byte[]> record) {
    if (!open) {
      producer.beginTransaction();
      open = true;
    }
    producer.send(record);
  }

  /** True while records were sent that are not committed yet. */
  boolean open() {
    return open;
  }

  /**
   * Commits what was sent plus {@code offsets} for {@code group} in one transaction.
   *
   * @throws KafkaException when the commit failed; call {@link #abort()} then
   */
  void commit(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group) {
    if (!open && offsets.isEmpty()) {
      return;
    }
    if (!open) {
      producer.beginTransaction();
      open = true;
    }
    if (!offsets.isEmpty()) {
      producer.sendOffsetsToTransaction(offsets, group);
    }
    producer.commitTransaction();
    open = false;
  }

  /** Throws away the open transaction; a producer that cannot abort is replaced. */
  void abort() {
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

  /** Closes after a commit (graceful end). */
  void close() {
    producer.close();
  }

  /** Closes at once, leaving any open transaction to time out on the broker (a crash). */
  void halt() {
    if (producer != null) {
      producer.close(Duration.ZERO);
    }
  }
}
