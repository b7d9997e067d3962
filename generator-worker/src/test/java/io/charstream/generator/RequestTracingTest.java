package io.charstream.generator;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class RequestTracingTest {

  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String PARENT = "00f067aa0ba902b7";

  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final RequestTracing tracing =
      new RequestTracing(
          OpenTelemetrySdk.builder()
              .setTracerProvider(
                  SdkTracerProvider.builder()
                      .addSpanProcessor(SimpleSpanProcessor.create(spans))
                      .build())
              .build(),
          "charstream-generator");

  private Map<String, SpanData> byName() {
    return spans.getFinishedSpanItems().stream()
        .collect(Collectors.toMap(SpanData::getName, Function.identity()));
  }

  @Test
  void aRequestIsAConsumerSpanInItsCallersTraceWithQueueAndGenerateUnderIt() {
    RecordHeaders headers = new RecordHeaders();
    headers.add(
        "traceparent", ("00-" + TRACE_ID + "-" + PARENT + "-01").getBytes(StandardCharsets.UTF_8));
    RequestTracing.Trace t =
        tracing.start("charstream.generate-requests", 3, 42L, "r1", headers, 1_000_000L);
    t.started("tiny@1", 3_000_000L);
    t.finished("length", 200, 9_000_000L);
    t.finished("length", 200, 10_000_000L); // ends once

    Map<String, SpanData> s = byName();
    assertThat(s).containsOnlyKeys("charstream.generate-requests process", "queue", "generate");
    SpanData process = s.get("charstream.generate-requests process");
    assertThat(process.getKind()).isEqualTo(SpanKind.CONSUMER);
    assertThat(process.getTraceId()).isEqualTo(TRACE_ID);
    assertThat(process.getParentSpanId()).isEqualTo(PARENT);
    assertThat(process.getStartEpochNanos()).isEqualTo(1_000_000L);
    assertThat(process.getEndEpochNanos()).isEqualTo(9_000_000L);
    assertThat(process.getAttributes().get(RequestTracing.MESSAGING_SYSTEM)).isEqualTo("kafka");
    assertThat(process.getAttributes().get(RequestTracing.OPERATION_TYPE)).isEqualTo("process");
    assertThat(process.getAttributes().get(RequestTracing.DESTINATION))
        .isEqualTo("charstream.generate-requests");
    assertThat(process.getAttributes().get(RequestTracing.PARTITION)).isEqualTo("3");
    assertThat(process.getAttributes().get(RequestTracing.OFFSET)).isEqualTo(42L);
    assertThat(process.getAttributes().get(RequestTracing.KEY)).isEqualTo("r1");
    assertThat(process.getAttributes().get(RequestTracing.GROUP)).isEqualTo("charstream-generator");
    assertThat(process.getAttributes().get(RequestTracing.FINISH)).isEqualTo("length");
    assertThat(process.getAttributes().get(RequestTracing.CHARS)).isEqualTo(200L);
    assertThat(process.getAttributes().get(RequestTracing.MODEL)).isEqualTo("tiny@1");
    for (String child : List.of("queue", "generate")) {
      assertThat(s.get(child).getParentSpanId()).isEqualTo(process.getSpanId());
      assertThat(s.get(child).getTraceId()).isEqualTo(TRACE_ID);
    }
    assertThat(s.get("queue").getEndEpochNanos()).isEqualTo(3_000_000L);
    assertThat(s.get("generate").getStartEpochNanos()).isEqualTo(3_000_000L);
    assertThat(s.get("generate").getEndEpochNanos()).isEqualTo(9_000_000L);
  }

  @Test
  void withoutTraceparentANewTraceStartsAndErrorsAreMarked() {
    RequestTracing.Trace t =
        tracing.start("charstream.generate-requests", 0, 7L, "r2", new RecordHeaders(), 5L);
    t.failed("deadline-exceeded", "waited too long", 8L);
    SpanData process = byName().get("charstream.generate-requests process");
    assertThat(process.getParentSpanContext().isValid()).isFalse();
    assertThat(process.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(process.getAttributes().get(RequestTracing.ERROR_KIND))
        .isEqualTo("deadline-exceeded");
    assertThat(byName()).containsKey("queue").doesNotContainKey("generate");
  }
}
