package io.charstream.generator;

import io.charstream.schemas.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker loop: one thread owns the consumer, the slot scheduler and the transactional output.
 * Each turn polls (without waiting while anything generates, so the consumer polls every few
 * milliseconds however long requests are; only every poll.idle-ms while no new request could
 * start), admits the records, primes queued requests into free slots (together: one batched step
 * per prompt position), takes one batched step, adds finished responses to the next transaction,
 * applies flow control, and hands that transaction (final responses, dead letters, chunks every
 * {@code commit.interval-ms}, and the consumed offsets of the requests fully answered) to the
 * committer as soon as the previous one is done (consume-transform-produce, group commit). The loop
 * never waits for the broker while requests run: a step costs what its slots cost, and a finished
 * request waits for one commit round trip, not for a timer.
 *
 * <p>Two things make that round trip short ({@link CommitPace}): when a running request will finish
 * within about as long as preparing a transaction takes (at least one commit round trip), the next
 * transaction is prepared ahead (begun, with the offsets that will be committable once the requests
 * finishing by then are answered), so the answers then wait only for their own records and the
 * commit; and answers hold their transaction back for the requests finishing next when that saves
 * more waiting than it costs (up to one round trip for a few answers ahead of many, half of one for
 * one ahead of one), so requests a few steps behind do not wait for a whole commit and then their
 * own. What a prepared transaction finally commits is corrected to what was answered ({@link
 * PartitionLedger#corrections}).
 *
 * <p>Guarantee, for consumers of the responses topic with {@code isolation.level=read_committed}:
 * every request read from the requests topic gets exactly one final record (a response or an
 * error), or, when its requestId cannot be read, exactly one dead letter. Offsets commit in order
 * per partition only up to the first request not yet answered, atomically with the answers, so a
 * crash, a lost partition or an aborted transaction replays exactly the requests whose answer never
 * committed. Streamed chunks are at-least-once: a request replayed after a crash or a rebalance
 * streams again from sequence 0 (the same text when it runs on the same model version, as
 * generation is deterministic for its seed); clients keep the chunks of the highest-numbered
 * attempt by (requestId, seq) and treat the final record as the whole answer.
 */
final class GeneratorWorker implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(GeneratorWorker.class);

  /** Idle poll timeout while a transaction is in flight: how soon its successor can go. */
  private static final Duration COMMIT_WAIT = Duration.ofMillis(1);

  /**
   * A prepared transaction whose expected answers have not come (their requests were handed back,
   * say) commits after this long anyway, far below any transaction timeout.
   */
  private static final long PREPARED_MAX_NANOS = 1_000_000_000L;

  /**
   * Topic names the worker reads and writes (from the Topics registry), and the largest record the
   * dead-letter topic takes (its max.message.bytes; the producer's max.request.size default is the
   * same).
   */
  record WorkerTopics(
      String requests, String responses, String deadLetters, int deadLetterMaxBytes) {}

  /** Everything the loop's behaviour depends on, from {@link GeneratorConfig}. */
  record Settings(
      int queueCapacity,
      int commitIntervalMs,
      int pollIdleMs,
      int pollBusyMs,
      long drainMs,
      long queueMaxWaitMs,
      Pattern replyTopics) {

    /** The default allow-list of reply topics (config reply.topic-pattern). */
    static final Pattern DEFAULT_REPLY_TOPICS = Pattern.compile("charstream\\.replies\\..+");

    /**
     * Without a bound on the queue wait of requests that carry no timeoutMs, with the default reply
     * topics.
     */
    Settings(
        int queueCapacity, int commitIntervalMs, int pollIdleMs, int pollBusyMs, long drainMs) {
      this(
          queueCapacity,
          commitIntervalMs,
          pollIdleMs,
          pollBusyMs,
          drainMs,
          0,
          DEFAULT_REPLY_TOPICS);
    }
  }

  private final WorkerTopics topics;
  private final Settings settings;
  private final Consumer<String, byte[]> consumer;
  private final TransactionalOutput output;
  private final RequestReader reader;
  private final ResponseWriter writer;
  private final SlotScheduler scheduler;
  private final JobPreparer preparer;
  private final GeneratorMetrics metrics;
  private final CountDownLatch modelsCaughtUp;
  private final String name;

  private final ReplyRoutes routes;
  private final RequestTracing tracing;
  private final PartitionLedger ledger = new PartitionLedger();
  private final CommitPace pace = new CommitPace();
  private final FlowControl flow;
  private final Set<TopicPartition> owned = new HashSet<>();
  private long lastChunksNanos = System.nanoTime();
  private long lastPollNanos;

  private volatile boolean stopRequested;
  private volatile boolean killRequested;
  private boolean halting;
  private volatile boolean running;
  private volatile long lastTurnNanos = System.nanoTime();
  private volatile int assignedCount;
  private volatile Throwable failure;

  GeneratorWorker(
      WorkerTopics topics,
      Settings settings,
      Consumer<String, byte[]> consumer,
      Supplier<Producer<String, byte[]>> producers,
      RequestReader reader,
      ResponseWriter writer,
      SlotScheduler scheduler,
      JobPreparer preparer,
      GeneratorMetrics metrics,
      CountDownLatch modelsCaughtUp,
      String name,
      RequestTracing tracing) {
    this.tracing = tracing;
    this.topics = topics;
    this.settings = settings;
    this.consumer = consumer;
    this.output = new TransactionalOutput(producers, name);
    this.reader = reader;
    this.writer = writer;
    this.scheduler = scheduler;
    this.preparer = preparer;
    this.metrics = metrics;
    this.modelsCaughtUp = modelsCaughtUp;
    this.name = name;
    this.flow = new FlowControl(settings.queueCapacity());
    this.routes = new ReplyRoutes(settings.replyTopics(), topics.responses(), this::partitionCount);
  }

  /** Partitions of a reply topic (0: it does not exist, or the broker could not say). */
  private int partitionCount(String topic) {
    try {
      List<PartitionInfo> info = consumer.partitionsFor(topic, Duration.ofSeconds(5));
      return info == null ? 0 : info.size();
    } catch (KafkaException e) {
      log.warn("could not read the partitions of reply topic {}: {}", topic, e.toString());
      return 0;
    }
  }

  // ---- life cycle (called from other threads) ----

  /** Asks for a graceful stop: finish running requests (up to the drain time), commit, leave. */
  void requestStop() {
    stopRequested = true;
  }

  /**
   * Stops as if the process died: no commit, no abort, the consumer stays in the group until its
   * session times out. For fault tests and the benchmark's failure runs.
   */
  void kill() {
    killRequested = true;
  }

  boolean running() {
    return running;
  }

  /** Nanos (System.nanoTime) of the loop's last turn; liveness. */
  long lastTurnNanos() {
    return lastTurnNanos;
  }

  int assignedPartitions() {
    return assignedCount;
  }

  /** Why the loop ended abnormally, or null. */
  Throwable failure() {
    return failure;
  }

  @Override
  public void run() {
    running = true;
    try {
      output.start();
      // Requests may name a model only announced on the checkpoints topic: read it to its end
      // first.
      while (!modelsCaughtUp.await(100, TimeUnit.MILLISECONDS)
          && !stopRequested
          && !killRequested) {
        lastTurnNanos = System.nanoTime();
      }
      consumer.subscribe(List.of(topics.requests()), new Rebalance());
      loop();
      if (killRequested) {
        halt();
      } else {
        leave();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure = e;
      halt();
    } catch (RuntimeException | Error e) {
      failure = e;
      log.error("generator worker stopped: {}", e.toString(), e);
      halt();
    } finally {
      running = false;
    }
  }

  private void loop() {
    long drainDeadline = Long.MAX_VALUE;
    while (!killRequested) {
      long now = System.nanoTime();
      lastTurnNanos = now;
      if (stopRequested && drainDeadline == Long.MAX_VALUE) {
        flow.drain();
        drainDeadline = now + settings.drainMs() * 1_000_000L;
        log.info("draining: {} running, {} queued", scheduler.active(), scheduler.queued());
      }
      if (stopRequested && (scheduler.idle() || now >= drainDeadline)) {
        return;
      }
      settle(output.poll());
      boolean generating = scheduler.active() > 0;
      // While generating, poll without waiting but at most every poll.busy-ms (a poll costs about
      // as much as a small batched step), and only every poll.idle-ms while no new request could
      // start (every slot taken, or as many requests queued as slots free): such a poll would only
      // cost. Idle, wait for records in poll (a record arriving ends the wait), but only briefly
      // while a commit is in flight or answers wait for one, so they go out the moment the
      // committer is free. Either way the gap between polls stays far below max.poll.interval.ms,
      // whatever the requests' lengths.
      boolean room = scheduler.queued() < scheduler.capacity() - scheduler.active();
      long pollEvery = (room ? settings.pollBusyMs() : settings.pollIdleMs()) * 1_000_000L;
      if (!generating || now - lastPollNanos >= pollEvery) {
        lastPollNanos = now;
        Duration timeout =
            generating
                ? Duration.ZERO
                : output.inFlight() || output.pending() > 0
                    ? COMMIT_WAIT
                    : Duration.ofMillis(settings.pollIdleMs());
        for (ConsumerRecord<String, byte[]> rec : consumer.poll(timeout)) {
          if (!admit(rec)) {
            break; // every owned partition was rewound: the rest of this batch comes again
          }
        }
      }
      if (killRequested) {
        return;
      }
      now = System.nanoTime();
      expire(now);
      SlotScheduler.Filled filled = scheduler.fill(preparer, now);
      filled.started().forEach(metrics::started);
      if (!filled.started().isEmpty()) {
        long epoch = RequestTracing.epochNanos();
        for (Job job : filled.started()) {
          job.trace().started(job.model().key().toString(), epoch);
        }
      }
      for (Job job : filled.failed()) {
        failJob(job, job.errorKind(), job.errorMessage(), job.errorMessage());
      }
      if (scheduler.active() > 0) {
        long before = System.nanoTime();
        SlotScheduler.Stepped stepped = scheduler.step(now);
        long after = System.nanoTime();
        pace.stepped(after - before);
        metrics.stepped(
            stepped.charsGenerated(), stepped.activeSlots(), scheduler.capacity(), after - before);
        for (Job job : stepped.finished()) {
          answer(job);
        }
      }
      applyFlowControl();
      if (!output.inFlight()) {
        long t = System.nanoTime();
        if (!pace.hold(t, scheduler::stepsToNextFinish, scheduler::countFinishingWithin)) {
          submit(t, false);
        }
        if (!output.inFlight() && !stopRequested) {
          prepareAhead();
        }
      }
      metrics.state(scheduler.active(), scheduler.queued(), flow.paused(), owned.size());
    }
  }

  // ---- records in ----

  /**
   * Takes one request record; returns false when it found the consumer back at an offset it had
   * delivered already, after rewinding every owned partition (the caller drops the rest of the
   * batch).
   */
  private boolean admit(ConsumerRecord<String, byte[]> rec) {
    TopicPartition tp = new TopicPartition(rec.topic(), rec.partition());
    if (ledger.delivered(tp, rec.offset())) {
      // The consumer went back on its own (a position reset, or a partition taken away and given
      // back while the network was cut, NetworkPartitionIT): what was received past this offset
      // may be in flight or answered in the open transaction. Start again from the last commit,
      // as after a failed transaction: the open transaction is aborted and every request whose
      // answer did not commit is read again, so each is still answered once.
      log.warn(
          "{} delivered offset {} again; aborting the open transaction and re-reading from the"
              + " last commit",
          tp,
          rec.offset());
      abortAndRewind();
      // Rewound or not (nothing received past the commit), this one restarts at the commit.
      ledger.restart(tp).ifPresent(offset -> consumer.seek(tp, offset));
      return false;
    }
    if (!ledger.tracks(tp)) {
      // First record of a partition this worker now owns: where the last owner got to, with the
      // requests it answered past that offset. Asked here, not in onPartitionsAssigned: by now the
      // consumer has its position, so no earlier owner's transaction holds the offsets any more
      // (in the callback the fetch waits for such a transaction, up to its timeout).
      OffsetAndMetadata committed = consumer.committed(Set.of(tp)).get(tp);
      if (committed != null) {
        ledger.assigned(tp, committed);
      }
    }
    if (!ledger.received(tp, rec.offset())) {
      // Answered past the committed offset before a crash, an abort or a rebalance (see ledger).
      log.debug("{}@{} is answered already; skipped", tp, rec.offset());
      return true;
    }
    RequestReader.Read read = reader.read(rec.key(), rec.value());
    ReplyRoutes.Resolved where =
        read instanceof RequestReader.Cancel
            ? new ReplyRoutes.Routed(ReplyRoute.DEFAULT)
            : routes.resolve(rec.headers(), System.nanoTime());
    if (where instanceof ReplyRoutes.Refused refused && answerable(read) != null) {
      // The answer cannot go where the request asked: say so where every client can read it.
      trace(rec, answerable(read))
          .failed(
              ErrorKind.REPLY_TOPIC_NOT_ALLOWED.code(),
              refused.message(),
              RequestTracing.epochNanos());
      answerError(
          tp,
          rec.offset(),
          answerable(read),
          refused.fallback(),
          ErrorKind.REPLY_TOPIC_NOT_ALLOWED,
          refused.message());
      return true;
    }
    ReplyRoute route =
        where instanceof ReplyRoutes.Routed routed ? routed.route() : ReplyRoute.DEFAULT;
    if (read instanceof RequestReader.Accepted a) {
      long originDelayMs =
          rec.timestamp() < 0 ? 0 : Math.max(0, System.currentTimeMillis() - rec.timestamp());
      Job job = new Job(a.spec(), tp, rec.offset(), System.nanoTime(), originDelayMs);
      job.limitQueueWait(settings.queueMaxWaitMs());
      job.routeTo(route);
      job.traceWith(trace(rec, job.requestId()));
      scheduler.enqueue(job);
    } else if (read instanceof RequestReader.Cancel c) {
      // A tombstone: nothing to answer for itself; it cancels the request(s) with its key read
      // before it from this partition, which are answered now with the text so far. Replayed after
      // a crash it cancels the same requests again (those answered already are skipped above).
      for (Job job : scheduler.cancel(c.requestId(), tp, rec.offset(), System.nanoTime())) {
        answer(job);
        log.debug("{} cancelled after {} characters", job, job.steps());
      }
      ledger.finished(tp, rec.offset());
    } else if (read instanceof RequestReader.Rejected r) {
      if (r.requestId() != null) {
        trace(rec, r.requestId()).failed(r.kind().code(), r.message(), RequestTracing.epochNanos());
        answerError(tp, rec.offset(), r.requestId(), route, r.kind(), r.message());
      } else {
        deadLetter(rec, r.kind(), r.message());
        ledger.finished(tp, rec.offset());
      }
    }
    return true;
  }

  /**
   * Answers the requests whose deadline passed: queued ones with deadline-exceeded (no work),
   * running ones with their text so far (finishReason deadline).
   */
  private void expire(long now) {
    SlotScheduler.Expired expired = scheduler.expire(now);
    for (Job job : expired.queued()) {
      failJob(
          job,
          ErrorKind.DEADLINE_EXCEEDED,
          "deadline exceeded",
          "waited "
              + Math.round(job.sinceOriginMs(now))
              + " ms for a slot, past "
              + (job.spec().timeoutMs() != null
                  ? "its timeoutMs of " + job.spec().timeoutMs()
                  : "this generator's queue.max-wait-ms of " + settings.queueMaxWaitMs())
              + " (counted from the record timestamp); not generated");
    }
    for (Job job : expired.running()) {
      answer(job);
    }
  }

  private RequestTracing.Trace trace(ConsumerRecord<String, byte[]> rec, String requestId) {
    return tracing.start(
        rec.topic(),
        rec.partition(),
        rec.offset(),
        requestId,
        rec.headers(),
        RequestTracing.epochNanos());
  }

  /**
   * The requestId a read gets its answer under, or null when it gets none (a cancel, a dead
   * letter).
   */
  private static String answerable(RequestReader.Read read) {
    if (read instanceof RequestReader.Accepted a) {
      return a.spec().requestId();
    }
    return read instanceof RequestReader.Rejected r ? r.requestId() : null;
  }

  // ---- records out (all inside the open transaction) ----

  /** A response record along {@code route}: its topic and partition, with the echoed headers. */
  private ProducerRecord<String, byte[]> response(ReplyRoute route, String key, byte[] value) {
    return new ProducerRecord<>(
        route.topic() == null ? topics.responses() : route.topic(),
        route.partition(),
        key,
        value,
        new RecordHeaders(route.echo()));
  }

  private void send(ProducerRecord<String, byte[]> record) {
    if (!record.topic().equals(topics.deadLetters())) {
      // Which instance wrote a response (dead letters carry it among their error headers): lets an
      // operator, and the fault tests, attribute committed answers to instances.
      record.headers().add(DeadLetters.WORKER, name.getBytes(StandardCharsets.UTF_8));
    }
    output.add(record);
  }

  private void answer(Job job) {
    if (job.spec().stream()) {
      sendChunk(job);
    }
    send(response(job.route(), job.requestId(), writer.complete(job)));
    job.trace()
        .finished(
            job.finish().name().toLowerCase(java.util.Locale.ROOT),
            job.totalSteps(),
            RequestTracing.epochNanos());
    pace.answered(System.nanoTime());
    ledger.finished(job.source(), job.offset());
    metrics.answered(job);
  }

  private void sendChunk(Job job) {
    Job.Chunk chunk = job.nextChunk();
    if (chunk != null) {
      send(response(job.route(), job.requestId(), writer.chunk(job, chunk)));
    }
  }

  /** Ends a job with an error answer: its span, its priority's count and the answer itself. */
  private void failJob(Job job, ErrorKind kind, String traceMessage, String message) {
    job.trace().failed(kind.code(), traceMessage, RequestTracing.epochNanos());
    metrics.byPriority(job, "error");
    answerError(job.source(), job.offset(), job.requestId(), job.route(), kind, message);
  }

  private void answerError(
      TopicPartition tp,
      long offset,
      String requestId,
      ReplyRoute route,
      ErrorKind kind,
      String message) {
    send(response(route, requestId, writer.error(requestId, kind, message)));
    pace.answered(System.nanoTime());
    ledger.finished(tp, offset);
    metrics.error(kind);
  }

  private void deadLetter(ConsumerRecord<String, byte[]> rec, ErrorKind kind, String message) {
    RecordHeaders headers = new RecordHeaders(rec.headers().toArray());
    DeadLetters.addErrorHeaders(
        headers,
        rec.topic(),
        rec.partition(),
        rec.offset(),
        rec.timestamp(),
        kind.code(),
        message,
        name);
    // A dead letter the broker refused would abort every transaction: the partition would never
    // move on.
    byte[] value =
        DeadLetters.fit(
            rec.key() == null ? null : rec.key().getBytes(StandardCharsets.UTF_8),
            rec.value(),
            headers,
            topics.deadLetterMaxBytes());
    send(new ProducerRecord<>(topics.deadLetters(), null, rec.key(), value, headers));
    metrics.error(kind);
    log.warn(
        "dead-lettered {}/{}@{}: {}",
        rec.topic(),
        rec.partition(),
        rec.offset(),
        DeadLetters.header(headers, DeadLetters.ERROR_MESSAGE));
  }

  // ---- transactions ----

  /**
   * Hands the next transaction to the committer when there is something to commit: the records
   * added since the last one (final responses, errors, dead letters), the chunks of running
   * streaming requests when {@code commit.interval-ms} has passed (or {@code everything}), and the
   * offsets of every request answered in order. A prepared transaction goes when records wait for
   * it (or {@code everything}, or it has been open for {@link #PREPARED_MAX_NANOS}), with the
   * offsets that differ from the prepared ones. Call with nothing in flight.
   */
  private void submit(long now, boolean everything) {
    if (everything || now - lastChunksNanos >= settings.commitIntervalMs() * 1_000_000L) {
      lastChunksNanos = now;
      for (Job job : scheduler.running()) {
        if (job.spec().stream()) {
          sendChunk(job);
        }
      }
    }
    Map<TopicPartition, OffsetAndMetadata> prepared = output.prepared();
    if (prepared != null) {
      if (!everything
          && output.pending() == 0
          && now - output.preparedNanos() < PREPARED_MAX_NANOS) {
        return;
      }
      Map<TopicPartition, OffsetAndMetadata> corrections = ledger.corrections(prepared);
      if (corrections != null) {
        output.submit(corrections, consumer.groupMetadata());
        pace.submitted();
        return;
      }
      output.abortPrepared(); // it holds a partition this worker no longer tracks
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = ledger.committableOffsets();
    if (output.pending() > 0 || !offsets.isEmpty()) {
      output.submit(offsets, consumer.groupMetadata());
      pace.submitted();
    }
  }

  /**
   * Prepares the next transaction when a running request will finish within about one commit round
   * trip: begins it with the offsets that will be committable once the requests finishing by then
   * (within the commit hold of the first) are answered, so their answers wait only for their own
   * records and the commit. Call with nothing in flight.
   */
  private void prepareAhead() {
    if (output.prepared() != null) {
      return;
    }
    int soonest = scheduler.stepsToNextFinish();
    if (soonest == Integer.MAX_VALUE || soonest > pace.prepareWindowSteps()) {
      return;
    }
    Map<TopicPartition, List<Long>> expected = new HashMap<>();
    for (Job job : scheduler.finishingWithin(soonest + pace.holdSteps())) {
      expected.computeIfAbsent(job.source(), tp -> new ArrayList<>()).add(job.offset());
    }
    output.prepare(ledger.committableOffsets(expected), consumer.groupMetadata());
  }

  /** Applies the outcome of a transaction (null: none yet). */
  private void settle(TransactionalOutput.Outcome outcome) {
    if (outcome instanceof TransactionalOutput.Prepared) {
      pace.prepared(System.nanoTime() - output.preparedNanos());
      return; // the next submit continues it
    }
    if (outcome instanceof TransactionalOutput.Failed f && f.fenced()) {
      output.replaceFenced(f.error()); // then aborted and re-read below, as any failure
    }
    if (outcome instanceof TransactionalOutput.Failed f && f.preparing() && !f.fatal()) {
      // Nothing was answered in it: throw it away and commit the next answers in a new one.
      log.warn("preparing a transaction failed, aborting it: {}", f.error().toString());
      output.abortPrepared();
      metrics.transaction(false);
      return;
    }
    if (outcome instanceof TransactionalOutput.Committed c) {
      ledger.committed(c.offsets());
      if (c.any()) {
        metrics.committed(c.nanos());
        pace.committed(c.nanos());
      }
    } else if (outcome instanceof TransactionalOutput.Failed f) {
      if (f.fatal()) {
        throw f.error(); // we may not write, or the broker cannot do transactions
      }
      // Fenced included: its producer was replaced above (or the worker stopped, fenced too
      // often: another instance with this transactional.id).
      log.warn(
          "transaction failed, aborting and re-reading unanswered requests: {}",
          f.error().toString());
      abortAndRewind();
    }
  }

  /**
   * Commits everything answered so far and waits for it: the transaction in flight, then one with
   * what was added since and the chunks of every running streaming request. On failure the
   * transaction is aborted and unanswered work re-read.
   */
  private void commitNow() {
    settle(output.awaitDone()); // after a failure nothing is left to submit: all was rewound
    submit(System.nanoTime(), true);
    settle(output.awaitDone());
  }

  /**
   * Throws away the open transaction, what was answered but not yet committed, and everything in
   * flight, and seeks every owned partition back to its last committed offset, so each request
   * whose answer did not commit is read again.
   */
  private void abortAndRewind() {
    TransactionalOutput.Outcome last = output.awaitDone();
    if (last instanceof TransactionalOutput.Committed c) {
      ledger.committed(c.offsets()); // that one made it: its offsets are the restart points
    }
    output.abort();
    metrics.transaction(false);
    List<Job> droppedJobs = scheduler.remove(j -> true);
    abandon(droppedJobs);
    int dropped = droppedJobs.size();
    for (TopicPartition tp : owned) {
      ledger.rewind(tp).ifPresent(offset -> consumer.seek(tp, offset));
    }
    if (dropped > 0) {
      log.info("{} in-flight requests will be read again", dropped);
    }
  }

  private void applyFlowControl() {
    switch (flow.update(scheduler.queued())) {
      case PAUSE -> consumer.pause(owned);
      case RESUME -> consumer.resume(owned);
      case NONE -> {}
    }
  }

  private static void abandon(List<Job> jobs) {
    long epoch = RequestTracing.epochNanos();
    for (Job job : jobs) {
      job.trace().abandoned(epoch);
    }
  }

  /** Hands back what is still running: commits what is answered, forgets the rest uncommitted. */
  private void handBack(Collection<TopicPartition> partitions) {
    commitNow();
    Set<TopicPartition> gone = new HashSet<>(partitions);
    List<Job> handed = scheduler.remove(j -> gone.contains(j.source()));
    abandon(handed);
    int n = handed.size();
    for (TopicPartition tp : gone) {
      ledger.remove(tp);
    }
    if (n > 0) {
      metrics.handedBack(n);
      log.info("handed back {} unfinished requests of {}", n, gone);
    }
  }

  /** Graceful end: commit the answered work, hand back the rest, leave the group. */
  private void leave() {
    handBack(Set.copyOf(owned));
    try {
      consumer.close(
          CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    } finally {
      output.close();
    }
    log.info("generator worker left the group");
  }

  /** Abrupt end (a kill or a fatal error): nothing committed, nothing aborted. */
  private void halt() {
    halting = true; // closing the consumer revokes its partitions: nothing is handed back
    try {
      output.halt();
    } finally {
      consumer.close(
          CloseOptions.groupMembershipOperation(
                  CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP)
              .withTimeout(Duration.ZERO));
    }
  }

  /** Called inside poll() on the worker thread. */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (killRequested || halting || partitions.isEmpty()) {
        return;
      }
      // Cooperative rebalancing: only the partitions that move are revoked, the rest keep running.
      handBack(partitions);
      owned.removeAll(partitions);
      assignedCount = owned.size();
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      if (killRequested || halting) {
        return;
      }
      // Another member may own them already: their answers must not commit from here, and the
      // open transaction may hold some, so it goes; the partitions we keep are read again.
      for (TopicPartition tp : partitions) {
        ledger.remove(tp);
      }
      owned.removeAll(partitions);
      assignedCount = owned.size();
      abortAndRewind();
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      owned.addAll(partitions);
      assignedCount = owned.size();
      if (flow.paused()) {
        consumer.pause(partitions);
      }
    }
  }
}
