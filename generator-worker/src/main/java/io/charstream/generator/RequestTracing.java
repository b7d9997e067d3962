package io.charstream.generator;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Spans of a request through the OpenTelemetry API: a {@code process} span (kind consumer, child of
 * the request's W3C {@code traceparent} when it has one, with the messaging semantic conventions)
 * from the record being read to its final answer, and under it a {@code queue} span (read to primed
 * into a slot) and a {@code generate} span (primed to finished). Without an OpenTelemetry SDK or
 * agent the API is a no-op and this costs a few allocations per request; with the Java agent
 * ({@code -javaagent:opentelemetry-javaagent.jar}) the spans are exported with the Kafka client's
 * own. Owned by the worker thread.
 */
final class RequestTracing {

  static final String INSTRUMENTATION = "io.charstream.generator";

  static final AttributeKey<String> MESSAGING_SYSTEM = AttributeKey.stringKey("messaging.system");
  static final AttributeKey<String> OPERATION_TYPE =
      AttributeKey.stringKey("messaging.operation.type");
  static final AttributeKey<String> OPERATION_NAME =
      AttributeKey.stringKey("messaging.operation.name");
  static final AttributeKey<String> DESTINATION =
      AttributeKey.stringKey("messaging.destination.name");
  static final AttributeKey<String> PARTITION =
      AttributeKey.stringKey("messaging.destination.partition.id");
  static final AttributeKey<String> GROUP = AttributeKey.stringKey("messaging.consumer.group.name");
  static final AttributeKey<Long> OFFSET = AttributeKey.longKey("messaging.kafka.offset");
  static final AttributeKey<String> KEY = AttributeKey.stringKey("messaging.kafka.message.key");
  static final AttributeKey<String> FINISH = AttributeKey.stringKey("charstream.finish_reason");
  static final AttributeKey<String> ERROR_KIND = AttributeKey.stringKey("error.type");
  static final AttributeKey<Long> CHARS = AttributeKey.longKey("charstream.generated_chars");
  static final AttributeKey<String> MODEL = AttributeKey.stringKey("charstream.model");

  private static final TextMapGetter<Headers> HEADERS =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Headers carrier) {
          List<String> keys = new ArrayList<>();
          for (Header h : carrier) {
            keys.add(h.key());
          }
          return keys;
        }

        @Override
        public String get(Headers carrier, String key) {
          Header h = carrier == null ? null : carrier.lastHeader(key);
          return h == null || h.value() == null
              ? null
              : new String(h.value(), StandardCharsets.UTF_8);
        }
      };

  private final Tracer tracer;
  private final String group;

  RequestTracing(OpenTelemetry openTelemetry, String group) {
    this.tracer = openTelemetry.getTracer(INSTRUMENTATION);
    this.group = group;
  }

  /** The spans of one request; every method is safe to call in any state, ends are idempotent. */
  final class Trace {
    private final Span process;
    private Span phase;
    private boolean ended;

    private Trace(Span process, long nowEpochNanos) {
      this.process = process;
      this.phase = child("queue", nowEpochNanos);
    }

    private Span child(String name, long epochNanos) {
      return tracer
          .spanBuilder(name)
          .setParent(Context.root().with(process))
          .setStartTimestamp(epochNanos, TimeUnit.NANOSECONDS)
          .startSpan();
    }

    /** Primed into a slot: the queue wait ends, generation begins. */
    void started(String model, long epochNanos) {
      if (ended) {
        return;
      }
      phase.end(epochNanos, TimeUnit.NANOSECONDS);
      process.setAttribute(MODEL, model);
      phase = child("generate", epochNanos);
    }

    /** Answered with text: {@code finish} is the finish reason. */
    void finished(String finish, long chars, long epochNanos) {
      if (ended) {
        return;
      }
      process.setAttribute(FINISH, finish);
      process.setAttribute(CHARS, chars);
      end(epochNanos);
    }

    /** Answered with an error of {@code kind}. */
    void failed(String kind, String message, long epochNanos) {
      if (ended) {
        return;
      }
      process.setAttribute(ERROR_KIND, kind);
      process.setStatus(StatusCode.ERROR, message);
      end(epochNanos);
    }

    /** Handed back or dropped unanswered (another reading answers it): ends without an outcome. */
    void abandoned(long epochNanos) {
      if (ended) {
        return;
      }
      end(epochNanos);
    }

    private void end(long epochNanos) {
      ended = true;
      phase.end(epochNanos, TimeUnit.NANOSECONDS);
      process.end(epochNanos, TimeUnit.NANOSECONDS);
    }

    Span process() {
      return process;
    }
  }

  /**
   * Starts the spans of a request read at {@code nowEpochNanos} from {@code topic}/{@code
   * partition}@{@code offset}, continuing the trace of its {@code traceparent} header.
   */
  Trace start(
      String topic, int partition, long offset, String key, Headers headers, long nowEpochNanos) {
    Context parent =
        W3CTraceContextPropagator.getInstance().extract(Context.root(), headers, HEADERS);
    Span process =
        tracer
            .spanBuilder(topic + " process")
            .setSpanKind(SpanKind.CONSUMER)
            .setParent(parent)
            .setStartTimestamp(nowEpochNanos, TimeUnit.NANOSECONDS)
            .setAttribute(MESSAGING_SYSTEM, "kafka")
            .setAttribute(OPERATION_TYPE, "process")
            .setAttribute(OPERATION_NAME, "process")
            .setAttribute(DESTINATION, topic)
            .setAttribute(PARTITION, Integer.toString(partition))
            .setAttribute(GROUP, group)
            .setAttribute(OFFSET, offset)
            .setAttribute(KEY, key == null ? "" : key)
            .startSpan();
    return new Trace(process, nowEpochNanos);
  }

  /** Wall-clock nanos for span timestamps (the worker's own times are System.nanoTime). */
  static long epochNanos() {
    java.time.Instant now = java.time.Instant.now();
    return TimeUnit.SECONDS.toNanos(now.getEpochSecond()) + now.getNano();
  }
}
