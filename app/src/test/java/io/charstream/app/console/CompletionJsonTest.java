package io.charstream.app.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.charstream.schemas.message.GenerateResponse;
import io.charstream.schemas.message.GenerateResponse.FinishReason;
import org.junit.jupiter.api.Test;

/** The generator's answers in OpenAI's shapes, and its errors as HTTP statuses. */
class CompletionJsonTest {
  static final GenerateResponse.Timings T = new GenerateResponse.Timings(1, 2.0, 30, 1000);

  /** The API error of a generator's error answer to request "r". */
  static ApiException failed(String modelId, Long modelVersion, String kind, String message) {
    return CompletionJson.error(
        GenerateResponse.failed("r", 0, modelId, modelVersion, kind, message, null));
  }

  @Test
  void aWholeAnswerIsATextCompletionWithUsageInCharacters() {
    GenerateResponse fin =
        GenerateResponse.done("cmpl-1", 0, "é\nthe", "shakespeare", 3, FinishReason.STOP, T);
    JsonNode c = CompletionJson.completion("cmpl-1", 1_700_000_000L, "ROMEO 🌹", fin);
    assertThat(c.path("id").asText()).isEqualTo("cmpl-1");
    assertThat(c.path("object").asText()).isEqualTo("text_completion");
    assertThat(c.path("created").asLong()).isEqualTo(1_700_000_000L);
    assertThat(c.path("model").asText()).isEqualTo("shakespeare@3");
    JsonNode choice = c.path("choices").get(0);
    assertThat(c.path("choices")).hasSize(1);
    assertThat(choice.path("index").asInt()).isZero();
    assertThat(choice.path("text").asText()).isEqualTo("é\nthe");
    assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
    assertThat(choice.has("logprobs")).isTrue();
    // Characters are code points: the rose is one character (two UTF-16 units).
    assertThat(c.path("usage").path("prompt_tokens").asInt()).isEqualTo(7);
    assertThat(c.path("usage").path("completion_tokens").asInt()).isEqualTo(5);
    assertThat(c.path("usage").path("total_tokens").asInt()).isEqualTo(12);
  }

  @Test
  void chunksCarryNoFinishReasonAndTheLastOneDoes() {
    GenerateResponse chunk = GenerateResponse.chunk("cmpl-1", 0, "KING", "m", 2);
    JsonNode c = CompletionJson.chunk("cmpl-1", 5, chunk, chunk.text());
    assertThat(c.path("choices").get(0).path("text").asText()).isEqualTo("KING");
    assertThat(c.path("choices").get(0).path("finish_reason").isNull()).isTrue();
    assertThat(c.path("model").asText()).isEqualTo("m@2");
    GenerateResponse fin =
        GenerateResponse.done("cmpl-1", 1, "KING", "m", 2, FinishReason.LENGTH, T);
    JsonNode last = CompletionJson.chunk("cmpl-1", 5, fin, "");
    assertThat(last.path("choices").get(0).path("text").asText()).isEmpty();
    assertThat(last.path("choices").get(0).path("finish_reason").asText()).isEqualTo("length");
  }

  @Test
  void generatorErrorsBecomeStatusesWithTheirKindAsCode() {
    ApiException unknown = failed("x", null, "unknown-model", "unknown model 'x'; loaded: m@1,2");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.code()).isEqualTo("unknown-model");
    assertThat(unknown.param()).isEqualTo("model");
    assertThat(unknown.type()).isEqualTo("not_found_error");

    ApiException length =
        failed(
            "m", 1L, "length-out-of-range", "field 'length': 20000 is out of range: use 1..10000");
    assertThat(length.status()).isEqualTo(400);
    assertThat(length.param()).isEqualTo("max_tokens");
    assertThat(length.getMessage())
        .isEqualTo("field 'max_tokens': 20000 is out of range: use 1..10000");
    JsonNode body = length.body().path("error");
    assertThat(body.path("message").asText()).startsWith("field 'max_tokens'");
    assertThat(body.path("type").asText()).isEqualTo("invalid_request_error");
    assertThat(body.path("param").asText()).isEqualTo("max_tokens");
    assertThat(body.path("code").asText()).isEqualTo("length-out-of-range");

    ApiException chars =
        failed("m", 1L, "unknown-characters", "prompt has characters the model never saw");
    assertThat(chars.status()).isEqualTo(400);
    assertThat(chars.param()).isEqualTo("prompt");

    ApiException internal = failed("m", 1L, "internal", "step failed");
    assertThat(internal.status()).isEqualTo(500);
    assertThat(internal.type()).isEqualTo("server_error");
    assertThat(internal.body().path("error").path("param").isNull()).isTrue();
  }
}
