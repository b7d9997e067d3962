package io.charstream.app.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.schemas.message.GenerateRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** OpenAI's completion body: each field checked, named in its error, mapped onto the contract. */
class CompletionRequestTest {

  static CompletionRequest parse(String json) {
    return CompletionRequest.parse(HttpIo.object(json.getBytes(StandardCharsets.UTF_8)));
  }

  static GenerateRequest map(String json) {
    return parse(json).toGenerateRequest("cmpl-1");
  }

  /** Asserts a 400 with this code and param, whose message contains {@code says}. */
  static void refused(ThrowingCallable call, String code, String param, String says) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.code()).isEqualTo(code);
              assertThat(e.param()).isEqualTo(param);
              assertThat(e.type()).isEqualTo("invalid_request_error");
            })
        .hasMessageContaining(says);
  }

  @Test
  void everyFieldMapsOntoTheGenerateRequest() {
    GenerateRequest r =
        map(
            "{\"model\":\"shakespeare@3\",\"prompt\":\"ROMEO:\",\"max_tokens\":100,"
                + "\"temperature\":0.8,\"top_k\":5,\"seed\":42,\"stop\":[\"\\n\\n\",\"END\"],"
                + "\"stream\":true}");
    assertThat(r.requestId()).isEqualTo("cmpl-1");
    assertThat(r.prompt()).isEqualTo("ROMEO:");
    assertThat(r.modelId()).isEqualTo("shakespeare");
    assertThat(r.modelVersion()).isEqualTo(3L);
    assertThat(r.length()).isEqualTo(100);
    assertThat(r.temperature()).isEqualTo(0.8);
    assertThat(r.topN()).isEqualTo(5);
    assertThat(r.randomSeed()).isEqualTo(42L);
    assertThat(r.stop()).containsExactly("\n\n", "END");
    assertThat(r.stream()).isTrue();
  }

  @Test
  void absentFieldsTakeTheContractsDefaults() {
    GenerateRequest r = map("{\"prompt\":\"KING\"}");
    assertThat(r.modelId()).isNull();
    assertThat(r.modelVersion()).isNull();
    assertThat(r.length()).isEqualTo(GenerateRequest.DEFAULT_LENGTH);
    assertThat(r.topN()).isEqualTo(GenerateRequest.DEFAULT_TOP_N);
    assertThat(r.temperature()).isEqualTo(GenerateRequest.DEFAULT_TEMPERATURE);
    assertThat(r.randomSeed()).isNull();
    assertThat(r.stop()).isEmpty();
    assertThat(r.stream()).isFalse();
    assertThat(map("{\"prompt\":\"KING\",\"model\":\"default\"}").modelId()).isEqualTo("default");
    assertThat(map("{\"prompt\":\"KING\",\"stop\":\"END\"}").stop()).isEqualTo(List.of("END"));
    assertThat(map("{\"prompt\":\"KING\",\"stop\":null,\"seed\":null}").stop()).isEmpty();
  }

  @Test
  void temperatureZeroIsGreedyAsInOpenAi() {
    GenerateRequest r = map("{\"prompt\":\"KING\",\"temperature\":0,\"top_k\":7}");
    assertThat(r.topN()).isEqualTo(1);
    assertThat(r.temperature()).isEqualTo(1.0);
  }

  @Test
  void neutralOpenAiFieldsAreAcceptedAndOthersRefusedByName() {
    assertThat(
            map("{\"prompt\":\"KING\",\"n\":1,\"best_of\":1,\"top_p\":1.0,\"presence_penalty\":0,"
                    + "\"frequency_penalty\":0.0,\"echo\":false,\"logprobs\":null,\"suffix\":null,"
                    + "\"user\":\"u-1\"}")
                .prompt())
        .isEqualTo("KING");
    refused(() -> parse("{\"prompt\":\"K\",\"n\":2}"), "invalid-field", "n", "only 1 is accepted");
    refused(
        () -> parse("{\"prompt\":\"K\",\"top_p\":0.9}"), "invalid-field", "top_p", "not supported");
    refused(() -> parse("{\"prompt\":\"K\",\"echo\":true}"), "invalid-field", "echo", "false");
    refused(() -> parse("{\"prompt\":\"K\",\"logprobs\":5}"), "invalid-field", "logprobs", "null");
    refused(
        () -> parse("{\"prompt\":\"K\",\"max_token\":5}"),
        "invalid-field",
        "max_token",
        "unknown field 'max_token' (supported: [max_tokens, model, prompt, seed, stop, stream,"
            + " temperature, top_k])");
  }

  @Test
  void wrongTypesAndValuesNameTheirField() {
    refused(() -> parse("{}"), "invalid-field", "prompt", "prompt is required");
    refused(() -> parse("{\"prompt\":[\"a\",\"b\"]}"), "invalid-field", "prompt", "one string");
    refused(() -> parse("{\"prompt\":42}"), "invalid-field", "prompt", "one string");
    refused(
        () -> parse("{\"prompt\":\"K\",\"max_tokens\":\"100\"}"),
        "invalid-field",
        "max_tokens",
        "must be an integer >= 1, got \"100\"");
    refused(
        () -> parse("{\"prompt\":\"K\",\"max_tokens\":1.5}"), "invalid-field", "max_tokens", "1.5");
    refused(() -> parse("{\"prompt\":\"K\",\"max_tokens\":0}"), "invalid-field", "max_tokens", "0");
    refused(
        () -> parse("{\"prompt\":\"K\",\"max_tokens\":99999999999}"),
        "invalid-field",
        "max_tokens",
        "integer");
    refused(() -> parse("{\"prompt\":\"K\",\"top_k\":0}"), "invalid-field", "top_k", ">= 1");
    refused(
        () -> parse("{\"prompt\":\"K\",\"temperature\":-0.5}"),
        "invalid-field",
        "temperature",
        ">= 0");
    refused(
        () -> parse("{\"prompt\":\"K\",\"temperature\":\"hot\"}"),
        "invalid-field",
        "temperature",
        "a number");
    refused(() -> parse("{\"prompt\":\"K\",\"seed\":1.5}"), "invalid-field", "seed", "integer");
    refused(
        () -> parse("{\"prompt\":\"K\",\"stream\":\"yes\"}"),
        "invalid-field",
        "stream",
        "true or false");
    refused(
        () -> parse("{\"prompt\":\"K\",\"stop\":5}"), "invalid-field", "stop", "list of strings");
    refused(
        () -> parse("{\"prompt\":\"K\",\"stop\":[\"a\",3]}"),
        "invalid-field",
        "stop[1]",
        "strings");
    refused(() -> parse("{\"prompt\":\"K\",\"model\":7}"), "invalid-field", "model", "a string");
  }

  @Test
  void modelNamesAreIdOrIdAtVersion() {
    refused(() -> parse("{\"prompt\":\"K\",\"model\":\"m@0\"}"), "invalid-field", "model", ">= 1");
    refused(() -> parse("{\"prompt\":\"K\",\"model\":\"m@x\"}"), "invalid-field", "model", ">= 1");
    refused(
        () -> parse("{\"prompt\":\"K\",\"model\":\"gpt 4\"}"),
        "invalid-field",
        "model",
        "ID or ID@VERSION");
    refused(() -> parse("{\"prompt\":\"K\",\"model\":\"\"}"), "invalid-field", "model", "ID");
    assertThat(map("{\"prompt\":\"K\",\"model\":\"a:b@12\"}").modelId()).isEqualTo("a:b");
  }

  @Test
  void theContractsOwnChecksAreNamedAsThisApiNamesTheField() {
    refused(
        () -> map("{\"prompt\":\"K\",\"stop\":[\"ok\",\"\"]}"),
        "invalid-field",
        "stop[1]",
        "field 'stop[1]': stop strings must be non-empty");
    assertThat(CompletionRequest.openAiName("length")).isEqualTo("max_tokens");
    assertThat(CompletionRequest.openAiName("topN")).isEqualTo("top_k");
    assertThat(CompletionRequest.openAiName("randomSeed")).isEqualTo("seed");
    assertThat(CompletionRequest.openAiName("modelVersion")).isEqualTo("model");
  }

  @Test
  void bodiesThatAreNotOneJsonObjectAreMalformed() {
    for (String bad :
        new String[] {
          "", "{", "[1]", "\"prompt\"", "{\"prompt\":\"a\",\"prompt\":\"b\"}", "{} {}"
        }) {
      assertThatThrownBy(() -> parse(bad))
          .as(bad)
          .isInstanceOfSatisfying(
              ApiException.class,
              e -> {
                assertThat(e.status()).isEqualTo(400);
                assertThat(e.code()).isEqualTo("malformed-json");
              });
    }
    assertThatThrownBy(() -> HttpIo.object(new byte[] {'{', '"', (byte) 0xff, '"', '}'}))
        .hasMessageContaining("not valid UTF-8");
  }
}
