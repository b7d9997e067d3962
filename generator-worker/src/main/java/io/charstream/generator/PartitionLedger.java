package io.charstream.generator;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which request offsets of each owned partition are still unanswered, and so which offset may be
 * committed. A request's offset is committed only when it and every earlier request of its
 * partition have their final response in the same or an earlier transaction.
 *
 * <p>Requests of one partition finish out of order (a short one behind a long one). The final
 * record of such a request commits while its offset cannot, so the committed offset carries, in its
 * metadata, the offsets past it that are answered already ({@code answered=3-5,9}: committed offset
 * + 3 to + 5, and + 9). Whoever reads the partition from that offset again (this worker after an
 * abort, another after a crash or a rebalance) skips them: a crash replays exactly the requests
 * whose final response never became visible. And every transaction holding a final record also
 * holds an offset commit of its partition, so a worker the group has moved on from (a zombie) is
 * refused by the group coordinator before any of its answers commit.
 *
 * <p>Owned by the worker thread; not thread-safe.
 */
final class PartitionLedger {

  /** Prefix of the offset metadata that lists the answered offsets past the committed one. */
  static final String ANSWERED = "answered=";

  /**
   * Longest metadata written: below the broker's offset.metadata.max.bytes (default 4096). The runs
   * of answered offsets are at most one more than the open requests of the partition (bounded by
   * queue.capacity and batch.capacity), about 16 characters each.
   */
  static final int METADATA_MAX_CHARS = 4000;

  /** State of one partition: offsets received but not finished, and the commit watermark. */
  private static final class Entry {
    /**
     * Offset where consumption restarts if this worker dies now (last committed or start position).
     */
    long committed;

    /** The metadata committed with {@link #committed}: the answered offsets past it. */
    String committedMetadata = "";

    /** One past the last offset received. */
    long next;

    final TreeSet<Long> open = new TreeSet<>();

    /**
     * Answered offsets past the first open one: finished here out of order, or answered in a
     * committed transaction (read from the committed metadata) and skipped when they arrive.
     */
    final TreeSet<Long> answered = new TreeSet<>();

    Entry(long start) {
      this.committed = start;
      this.next = start;
    }

    long committable() {
      return open.isEmpty() ? next : open.first();
    }
  }

  private final Map<TopicPartition, Entry> entries = new HashMap<>();

  /** True once a request of {@code tp} was received (or the partition seeded) since it came. */
  boolean tracks(TopicPartition tp) {
    return entries.containsKey(tp);
  }

  /**
   * Seeds a partition just assigned with its committed offset and metadata, so requests answered
   * past the committed offset (by whoever owned it before) are not answered again.
   */
  void assigned(TopicPartition tp, OffsetAndMetadata committed) {
    Entry e = new Entry(committed.offset());
    e.committedMetadata = committed.metadata() == null ? "" : committed.metadata();
    e.answered.addAll(decode(committed.offset(), e.committedMetadata));
    entries.put(tp, e);
  }

  /**
   * True when {@code offset} of a tracked partition, at or past its committed offset, was delivered
   * already since its last rewind: the consumer went back without this worker seeking it. (Offsets
   * below the committed one are answered: {@link #received} skips them.)
   */
  boolean delivered(TopicPartition tp, long offset) {
    Entry e = entries.get(tp);
    return e != null && offset >= e.committed && offset < e.next;
  }

  /**
   * Records that the request at {@code offset} was received and is not answered yet, and returns
   * true; returns false, recording nothing open, when its answer was committed already (the request
   * is to be skipped). The first offset seen on a partition without a committed offset is where
   * this worker's ownership starts: the consumer delivers offsets in order from the committed
   * position.
   */
  boolean received(TopicPartition tp, long offset) {
    Entry e = entries.computeIfAbsent(tp, k -> new Entry(offset));
    if (offset < e.committed) {
      // Below the group's committed offset: answered in a committed transaction (this consumer's
      // position was older than the commit, as after a partition lost and given back).
      return false;
    }
    if (offset < e.next) {
      throw new IllegalStateException(
          "offset " + offset + " of " + tp + " received twice (next expected " + e.next + ")");
    }
    e.next = offset + 1;
    if (e.answered.contains(offset)) {
      return false;
    }
    e.open.add(offset);
    return true;
  }

  /** Marks the request at {@code offset} answered (its final record or error sent). */
  void finished(TopicPartition tp, long offset) {
    Entry e = entries.get(tp);
    if (e == null || !e.open.remove(offset)) {
      throw new IllegalStateException("offset " + offset + " of " + tp + " is not open");
    }
    e.answered.add(offset);
    e.answered.headSet(e.committable()).clear();
  }

  /**
   * Offsets to send with the transaction: each partition whose watermark moved or that has newly
   * answered requests past it (listed in the metadata). Every final record sent since the last
   * commit has its partition here.
   */
  Map<TopicPartition, OffsetAndMetadata> committableOffsets() {
    return committableOffsets(Map.of());
  }

  /**
   * What {@link #committableOffsets()} would return once the open requests in {@code expected}
   * (offsets per partition) are answered too: the offsets a transaction prepared ahead of those
   * answers sends. Offsets in {@code expected} that are not open are ignored.
   */
  Map<TopicPartition, OffsetAndMetadata> committableOffsets(
      Map<TopicPartition, ? extends Collection<Long>> expected) {
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    entries.forEach(
        (tp, e) -> {
          Collection<Long> soon = expected.containsKey(tp) ? expected.get(tp) : List.of();
          long c;
          TreeSet<Long> answered;
          if (soon.isEmpty()) {
            c = e.committable();
            answered = e.answered;
          } else {
            TreeSet<Long> open = new TreeSet<>(e.open);
            answered = new TreeSet<>(e.answered);
            for (long o : soon) {
              if (open.remove(o)) {
                answered.add(o);
              }
            }
            c = open.isEmpty() ? e.next : open.first();
          }
          String metadata = encode(c, answered);
          if (c > e.committed || !metadata.equals(e.committedMetadata)) {
            out.put(tp, new OffsetAndMetadata(c, metadata));
          }
        });
    return out;
  }

  /**
   * The offsets to send in a transaction that was prepared with {@code prepared}, so that it
   * commits exactly {@link #committableOffsets()}: those that differ from the prepared ones, and,
   * for a prepared partition that should not move after all (a request expected to finish did not),
   * its last committed offset again. Null when a prepared partition is no longer tracked here: then
   * the prepared transaction must be aborted instead.
   */
  Map<TopicPartition, OffsetAndMetadata> corrections(
      Map<TopicPartition, OffsetAndMetadata> prepared) {
    Map<TopicPartition, OffsetAndMetadata> wanted = committableOffsets();
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    wanted.forEach(
        (tp, om) -> {
          if (!om.equals(prepared.get(tp))) {
            out.put(tp, om);
          }
        });
    for (Map.Entry<TopicPartition, OffsetAndMetadata> p : prepared.entrySet()) {
      if (wanted.containsKey(p.getKey())) {
        continue;
      }
      Entry e = entries.get(p.getKey());
      if (e == null) {
        return null;
      }
      OffsetAndMetadata committed = new OffsetAndMetadata(e.committed, e.committedMetadata);
      if (!committed.equals(p.getValue())) {
        out.put(p.getKey(), committed);
      }
    }
    return out;
  }

  /** The transaction carrying {@code offsets} committed: they are the new restart points. */
  void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
    offsets.forEach(
        (tp, om) -> {
          Entry e = entries.get(tp);
          if (e != null && om.offset() >= e.committed) {
            e.committed = om.offset();
            e.committedMetadata = om.metadata() == null ? "" : om.metadata();
          }
        });
  }

  /**
   * {@code answered} offsets from {@code base} on, as metadata: runs relative to {@code base}
   * ({@code answered=0-2,5}); empty when there are none. Runs that would not fit {@link
   * #METADATA_MAX_CHARS} are left out (their requests would be answered again after a crash).
   */
  static String encode(long base, TreeSet<Long> answered) {
    StringBuilder b = new StringBuilder();
    Long runStart = null;
    long prev = Long.MIN_VALUE;
    for (long o : answered.tailSet(base)) {
      if (runStart != null && o == prev + 1) {
        prev = o;
        continue;
      }
      if (runStart != null && !appendRun(b, runStart - base, prev - base)) {
        runStart = null;
        break;
      }
      runStart = o;
      prev = o;
    }
    if (runStart != null) {
      appendRun(b, runStart - base, prev - base);
    }
    return b.isEmpty() ? "" : ANSWERED + b;
  }

  private static boolean appendRun(StringBuilder b, long from, long to) {
    String run = from == to ? Long.toString(from) : from + "-" + to;
    if (ANSWERED.length() + b.length() + 1 + run.length() > METADATA_MAX_CHARS) {
      return false;
    }
    if (!b.isEmpty()) {
      b.append(',');
    }
    b.append(run);
    return true;
  }

  /** The offsets that {@link #encode} wrote; nothing for metadata it did not write. */
  static List<Long> decode(long base, String metadata) {
    List<Long> out = new ArrayList<>();
    if (metadata == null || !metadata.startsWith(ANSWERED)) {
      return out;
    }
    try {
      for (String run : metadata.substring(ANSWERED.length()).split(",")) {
        int dash = run.indexOf('-');
        long from = Long.parseLong(dash < 0 ? run : run.substring(0, dash));
        long to = dash < 0 ? from : Long.parseLong(run.substring(dash + 1));
        for (long o = from; o <= to; o++) {
          out.add(base + o);
        }
      }
    } catch (NumberFormatException e) {
      return new ArrayList<>(); // not ours: answer everything again rather than skip wrongly
    }
    return out;
  }

  /**
   * Where to seek {@code tp} after an aborted transaction so every request not committed is read
   * again; empty when nothing past the committed offset was received. Forgets the open offsets.
   */
  OptionalLong rewind(TopicPartition tp) {
    Entry e = entries.get(tp);
    if (e == null) {
      return OptionalLong.empty();
    }
    e.answered.clear();
    e.answered.addAll(decode(e.committed, e.committedMetadata));
    if (e.next == e.committed) {
      return OptionalLong.empty();
    }
    e.open.clear();
    e.next = e.committed;
    return OptionalLong.of(e.committed);
  }

  /** Where consumption of a tracked partition restarts: its last committed offset. */
  OptionalLong restart(TopicPartition tp) {
    Entry e = entries.get(tp);
    return e == null ? OptionalLong.empty() : OptionalLong.of(e.committed);
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
