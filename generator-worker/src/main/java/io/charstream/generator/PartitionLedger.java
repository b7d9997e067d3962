package io.charstream.generator;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which request offsets of each owned partition are still unanswered, and so which offset may be
 * committed. A request's offset is committed only when it and every earlier request of its
 * partition have their final response in the same or an earlier transaction, so a crash replays
 * exactly the requests whose final response never became visible.
 *
 * <p>Owned by the worker thread; not thread-safe.
 */
final class PartitionLedger {

  /** State of one partition: offsets received but not finished, and the commit watermark. */
  private static final class Entry {
    /**
     * Offset where consumption restarts if this worker dies now (last committed or start position).
     */
    long committed;

    /** One past the last offset received. */
    long next;

    final TreeSet<Long> open = new TreeSet<>();

    Entry(long start) {
      this.committed = start;
      this.next = start;
    }

    long committable() {
      return open.isEmpty() ? next : open.first();
    }
  }

  private final Map<TopicPartition, Entry> entries = new HashMap<>();

  /**
   * Records that the request at {@code offset} was received and is not answered yet. The first
   * offset seen on a partition is where this worker's ownership starts: the consumer delivers
   * offsets in order from the committed position.
   */
  void received(TopicPartition tp, long offset) {
    Entry e = entries.computeIfAbsent(tp, k -> new Entry(offset));
    if (offset < e.next) {
      throw new IllegalStateException(
          "offset " + offset + " of " + tp + " received twice (next expected " + e.next + ")");
    }
    e.open.add(offset);
    e.next = offset + 1;
  }

  /** Marks the request at {@code offset} answered (its final record or error sent). */
  void finished(TopicPartition tp, long offset) {
    Entry e = entries.get(tp);
    if (e == null || !e.open.remove(offset)) {
      throw new IllegalStateException("offset " + offset + " of " + tp + " is not open");
    }
  }

  /** Offsets to send with the transaction: only partitions whose watermark moved. */
  Map<TopicPartition, OffsetAndMetadata> committableOffsets() {
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    entries.forEach(
        (tp, e) -> {
          long c = e.committable();
          if (c > e.committed) {
            out.put(tp, new OffsetAndMetadata(c));
          }
        });
    return out;
  }

  /** The transaction carrying {@code offsets} committed: they are the new restart points. */
  void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
    offsets.forEach(
        (tp, om) -> {
          Entry e = entries.get(tp);
          if (e != null) {
            e.committed = Math.max(e.committed, om.offset());
          }
        });
  }

  /**
   * Where to seek {@code tp} after an aborted transaction so every request not committed is read
   * again; empty when nothing past the committed offset was received. Forgets the open offsets.
   */
  OptionalLong rewind(TopicPartition tp) {
    Entry e = entries.get(tp);
    if (e == null || e.next == e.committed) {
      return OptionalLong.empty();
    }
    e.open.clear();
    e.next = e.committed;
    return OptionalLong.of(e.committed);
  }

  /** Forgets a partition that was revoked or lost. */
  void remove(TopicPartition tp) {
    entries.remove(tp);
  }

  /** Number of requests received and not yet answered, over all partitions. */
  int openCount() {
    int n = 0;
    for (Entry e : entries.values()) {
      n += e.open.size();
    }
    return n;
  }

  /** True when {@code tp} has requests received and not yet answered. */
  boolean hasOpen(TopicPartition tp) {
    Entry e = entries.get(tp);
    return e != null && !e.open.isEmpty();
  }
}
