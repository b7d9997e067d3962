package io.charstream.generator;

import io.charstream.schemas.message.GenerateResponse.CharLogprob;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.TopicPartition;

/**
 * One accepted request on its way through the worker: where it came from (for the offset commit),
 * the model it runs on, its slot (one per sample: {@code n}), the text so far and its timings. Its
 * state changes only through its own methods, in this order: {@link #prepare} (model known, or
 * {@link #fail}), {@link #start} (primed into its slots), {@link #append} until each sample
 * finishes, {@link #leaveSlot}; {@link #nextChunk} takes streamed text (of the first sample) on the
 * way. The job is finished when every sample is. Owned by the worker thread.
 */
final class Job {

  /** Why a request ended; the response's finish reason. */
  enum Finish {
    LENGTH,
    STOP,
    /** A tombstone with the request's key arrived: the text so far is the answer. */
    CANCELLED,
    /** Its timeoutMs passed while it ran: the text so far is the answer. */
    DEADLINE
  }

  /** A streamed part of the text: {@code seq} counts from 0 per request. */
  record Chunk(int seq, String text) {}

  /** One sample of the request (of {@code n}): its slot, its text and why it ended. */
  static final class Sample {
    private int slot = -1;

    /** Steps taken (one per generated character; an unknown id decodes to ""). */
    private int steps;

    private final StringBuilder text = new StringBuilder();

    /** Per character of {@link #text}, when the request asked for logprobs; else null. */
    private final List<CharLogprob> logprobs;

    private Finish finish;

    Sample(boolean withLogprobs) {
      logprobs = withLogprobs ? new ArrayList<>() : null;
    }

    String text() {
      return text.toString();
    }

    Finish finish() {
      return finish;
    }

    int steps() {
      return steps;
    }

    /** A copy, or null when the request asked for none. */
    List<CharLogprob> logprobs() {
      return logprobs == null ? null : List.copyOf(logprobs);
    }
  }

  private final RequestSpec spec;
  private final TopicPartition source;
  private final long offset;

  /** When the worker read the request (System.nanoTime). */
  private final long receivedNanos;

  /**
   * Milliseconds from the request record's timestamp to when the worker read it (0 when the
   * timestamp is missing or ahead of this clock): timings count from the record timestamp.
   */
  private final long originDelayMs;

  /**
   * When the request must have left the queue (System.nanoTime; Long.MAX_VALUE: never): its
   * timeoutMs, else the worker's queue.max-wait-ms, counted from the record timestamp.
   */
  private long queueDeadlineNanos = Long.MAX_VALUE;

  /** When a running request ends with what it has (its timeoutMs); Long.MAX_VALUE: never. */
  private long runDeadlineNanos = Long.MAX_VALUE;

  /** Its spans (a no-op trace until the worker gives it one). */
  private RequestTracing.Trace trace = NO_TRACE;

  private static final RequestTracing.Trace NO_TRACE =
      new RequestTracing(io.opentelemetry.api.OpenTelemetry.noop(), "")
          .start("", 0, 0, null, new org.apache.kafka.common.header.internals.RecordHeaders(), 0);

  /** Where its response records go, with the request headers they echo. */
  private ReplyRoute route = ReplyRoute.DEFAULT;

  /** Set once the model is known; the job finishes on this version even if a newer one arrives. */
  private LoadedModel model;

  /** Prompt ids in {@link #model}'s vocabulary. */
  private int[] promptIds;

  private final Sample[] samples;
  private boolean started;
  private long startedNanos;
  private long firstCharNanos;
  private long finishedNanos;

  /** Set when every sample has finished: the first sample's reason. */
  private Finish finish;

  /** Chars of {@link #text} already sent in chunks, and the next chunk's sequence number. */
  private int streamed;

  private int nextSeq;

  /** Set when the job can never run (its model is unknown, its prompt has unknown characters). */
  private ErrorKind errorKind;

  private String errorMessage;

  Job(RequestSpec spec, TopicPartition source, long offset, long receivedNanos) {
    this(spec, source, offset, receivedNanos, 0);
  }

  Job(
      RequestSpec spec,
      TopicPartition source,
      long offset,
      long receivedNanos,
      long originDelayMs) {
    this.spec = spec;
    this.source = source;
    this.offset = offset;
    this.receivedNanos = receivedNanos;
    this.originDelayMs = originDelayMs;
    this.samples = new Sample[spec.n()];
    for (int i = 0; i < samples.length; i++) {
      samples[i] = new Sample(spec.logprobs() > 0);
    }
    if (spec.timeoutMs() != null) {
      runDeadlineNanos = originPlus(spec.timeoutMs());
      queueDeadlineNanos = runDeadlineNanos;
    }
  }

  /**
   * Bounds the queue wait of a request that carries no timeoutMs to {@code maxWaitMs} from its
   * record timestamp (0: no bound).
   */
  void limitQueueWait(long maxWaitMs) {
    if (spec.timeoutMs() == null && maxWaitMs > 0) {
      queueDeadlineNanos = originPlus(maxWaitMs);
    }
  }

  /** System.nanoTime of the record timestamp plus {@code ms}, saturating. */
  private long originPlus(long ms) {
    long delta = ms - originDelayMs;
    if (delta > Long.MAX_VALUE / 2_000_000L) {
      return Long.MAX_VALUE;
    }
    return receivedNanos + delta * 1_000_000L;
  }

  /** Sends the job's responses along {@code route} (a reply topic, echoed headers). */
  void routeTo(ReplyRoute route) {
    this.route = route;
  }

  ReplyRoute route() {
    return route;
  }

  /** Records its life in {@code trace} (spans of the OpenTelemetry API). */
  void traceWith(RequestTracing.Trace trace) {
    this.trace = trace;
  }

  RequestTracing.Trace trace() {
    return trace;
  }

  /** True when {@code nowNanos} is past the queue deadline (only meaningful while queued). */
  boolean queueExpired(long nowNanos) {
    return queueDeadlineNanos != Long.MAX_VALUE && nowNanos - queueDeadlineNanos >= 0;
  }

  /** True when {@code nowNanos} is past the request's timeoutMs (only meaningful while running). */
  boolean runExpired(long nowNanos) {
    return runDeadlineNanos != Long.MAX_VALUE && nowNanos - runDeadlineNanos >= 0;
  }

  /** The model is known and the prompt encoded in its vocabulary: the job can take a slot. */
  void prepare(LoadedModel model, int[] promptIds) {
    this.model = model;
    this.promptIds = promptIds;
  }

  /** Marks the job as failed before it ran; it gets an error response instead of text. */
  void fail(ErrorKind kind, String message) {
    errorKind = kind;
    errorMessage = message;
  }

  /** The job (one sample) was primed into {@code slot} of its model version's batch. */
  void start(int slot, long nowNanos) {
    start(new int[] {slot}, nowNanos);
  }

  /** The job was primed into {@code slots} of its model version's batch, sample i into slot i. */
  void start(int[] slots, long nowNanos) {
    if (model == null) {
      throw new IllegalStateException(this + " started before its model was known");
    }
    if (slots.length != samples.length) {
      throw new IllegalArgumentException(
          slots.length + " slots for " + samples.length + " samples");
    }
    for (int i = 0; i < slots.length; i++) {
      samples[i].slot = slots[i];
    }
    this.started = true;
    this.startedNanos = nowNanos;
  }

  /** Every sample left its slot (finished, or removed unfinished). */
  void leaveSlot() {
    for (Sample sample : samples) {
      sample.slot = -1;
    }
  }

  /** Sample {@code sample} left its slot. */
  void leaveSlot(int sample) {
    samples[sample].slot = -1;
  }

  /**
   * Appends one generated character to the (only) sample and says whether the request is now
   * complete.
   */
  boolean append(String chars, long nowNanos) {
    append(0, chars, null, nowNanos);
    return finished();
  }

  /**
   * Appends one generated character (with its log-probability, when the request asked for them) to
   * sample {@code sample} and says whether that sample is now complete; the job is once every
   * sample is. A stop string is cut off the text; it never reaches a chunk because {@link
   * #nextChunk()} holds back enough chars.
   */
  boolean append(int sample, String chars, CharLogprob logprob, long nowNanos) {
    Sample x = samples[sample];
    if (totalSteps() == 0) {
      firstCharNanos = nowNanos;
    }
    x.steps++;
    x.text.append(chars);
    if (x.logprobs != null && logprob != null) {
      x.logprobs.add(logprob);
    }
    for (String s : spec.stop()) {
      int at = x.text.length() - s.length();
      if (at >= 0 && x.text.indexOf(s, at) == at) {
        x.text.setLength(at);
        trimLogprobs(x, at);
        return finish(x, Finish.STOP, nowNanos);
      }
    }
    return x.steps >= spec.length() && finish(x, Finish.LENGTH, nowNanos);
  }

  /** Drops the log-probabilities of the characters cut off with a stop string. */
  private static void trimLogprobs(Sample x, int length) {
    if (x.logprobs == null) {
      return;
    }
    int chars = 0;
    for (CharLogprob c : x.logprobs) {
      chars += c.text().length();
    }
    while (chars > length && !x.logprobs.isEmpty()) {
      chars -= x.logprobs.remove(x.logprobs.size() - 1).text().length();
    }
  }

  /**
   * Ends the job early (a cancel, queued or running): every unfinished sample's text so far is its
   * answer. Call after it left its slots, if it had any.
   */
  void end(Finish reason, long nowNanos) {
    for (Sample x : samples) {
      if (x.finish == null) {
        finish(x, reason, nowNanos);
      }
    }
  }

  /** True once the job was primed into a slot (it may have left it since). */
  boolean started() {
    return started;
  }

  /** Ends a sample; the job ends with its last sample, with the first sample's reason. */
  private boolean finish(Sample x, Finish reason, long nowNanos) {
    x.finish = reason;
    for (Sample other : samples) {
      if (other.finish == null) {
        return true;
      }
    }
    finish = samples[0].finish;
    finishedNanos = nowNanos;
    return true;
  }

  /**
   * Text generated since the last chunk with its sequence number, or null when there is none to
   * send yet. While the request runs, the last (longest stop - 1) chars stay back: they may turn
   * out to start a stop string.
   */
  Chunk nextChunk() {
    StringBuilder text = samples[0].text;
    boolean done = samples[0].finish != null;
    int end =
        done
            ? text.length()
            : Math.max(streamed, text.length() - Math.max(0, spec.longestStop() - 1));
    if (end <= streamed) {
      return null;
    }
    // Never split a surrogate pair between two chunks.
    if (!done && end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
      if (end <= streamed) {
        return null;
      }
    }
    String chunk = text.substring(streamed, end);
    streamed = end;
    return new Chunk(nextSeq++, chunk);
  }

  /** Milliseconds from the request's record timestamp to {@code nanos}. */
  double sinceOriginMs(long nanos) {
    return originDelayMs + (nanos - receivedNanos) / 1e6;
  }

  RequestSpec spec() {
    return spec;
  }

  String requestId() {
    return spec.requestId();
  }

  TopicPartition source() {
    return source;
  }

  long offset() {
    return offset;
  }

  long receivedNanos() {
    return receivedNanos;
  }

  /** The model version, once {@link #prepare}d; null before. */
  LoadedModel model() {
    return model;
  }

  boolean prepared() {
    return model != null;
  }

  int[] promptIds() {
    return promptIds;
  }

  /** The (first sample's) slot in its model version's batch, -1 when not in one. */
  int slot() {
    return samples[0].slot;
  }

  /** The samples, in order (n of them); sample 0 is the request's text. */
  List<Sample> samples() {
    return List.of(samples);
  }

  long startedNanos() {
    return startedNanos;
  }

  long firstCharNanos() {
    return firstCharNanos;
  }

  long finishedNanos() {
    return finishedNanos;
  }

  /** Steps of the sample that took most (samples step together until each finishes). */
  int steps() {
    int most = 0;
    for (Sample x : samples) {
      most = Math.max(most, x.steps);
    }
    return most;
  }

  /** Characters generated over all samples. */
  int totalSteps() {
    int sum = 0;
    for (Sample x : samples) {
      sum += x.steps;
    }
    return sum;
  }

  /** The first sample's text: the response's {@code text}. */
  String text() {
    return samples[0].text.toString();
  }

  /** Why it finished, null while running. */
  Finish finish() {
    return finish;
  }

  boolean finished() {
    return finish != null;
  }

  /** The final record's sequence number: one past the last chunk. */
  int finalSeq() {
    return nextSeq;
  }

  ErrorKind errorKind() {
    return errorKind;
  }

  String errorMessage() {
    return errorMessage;
  }

  @Override
  public String toString() {
    return "Job[" + spec.requestId() + " " + source + "@" + offset + "]";
  }
}
