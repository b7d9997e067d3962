package io.charstream.app.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.schemas.message.GenerateRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** OpenAI's completion body: each field checked, named in its error, mapped onto the contract. */
class CompletionRequestTest {

  static CompletionRequest parse(String json) {
    return CompletionRequest.parse(HttpIo.object(json.getBytes(StandardCharsets.UTF_8)));
  }

  static GenerateRequest map(String json) {
    return parse(json).toGenerateRequest("cmpl-1");
  }

  /**
   * Asserts that parsing {@code body} is a 400 invalid-field of {@code field}, saying {@code says}.
   */
  static void invalid(String body, String field, String says) {
    refused(() -> parse(body), "invalid-field", field, says);
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
    invalid("{\"prompt\":\"K\",\"n\":2}", "n", "only 1 is accepted");
    invalid("{\"prompt\":\"K\",\"top_p\":0.9}", "top_p", "not supported");
    invalid("{\"prompt\":\"K\",\"echo\":true}", "echo", "false");
    invalid("{\"prompt\":\"K\",\"logprobs\":5}", "logprobs", "null");
    invalid(
        "{\"prompt\":\"K\",\"max_token\":5}",
        "max_token",
        "unknown field 'max_token' (supported: [max_tokens, model, prompt, seed, stop, stream,"
            + " temperature, top_k])");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      textBlock =
          """
          {}                                        | prompt      | prompt is required
          {"prompt":["a","b"]}                      | prompt      | one string
          {"prompt":42}                             | prompt      | one string
          {"prompt":"K","max_tokens":"100"}         | max_tokens  | must be an integer >= 1, got "100"
          {"prompt":"K","max_tokens":1.5}           | max_tokens  | 1.5
          {"prompt":"K","max_tokens":0}             | max_tokens  | 0
          {"prompt":"K","max_tokens":99999999999}   | max_tokens  | integer
          {"prompt":"K","top_k":0}                  | top_k       | >= 1
          {"prompt":"K","temperature":-0.5}         | temperature | >= 0
          {"prompt":"K","temperature":"hot"}        | temperature | a number
          {"prompt":"K","seed":1.5}                 | seed        | integer
          {"prompt":"K","stream":"yes"}             | stream      | true or false
          {"prompt":"K","stop":5}                   | stop        | list of strings
          {"prompt":"K","stop":["a",3]}             | stop[1]     | strings
          {"prompt":"K","model":7}                  | model       | a string
          """)
  void wrongTypesAndValuesNameTheirField(String body, String field, String message) {
    invalid(body, field, message);
  }

  @Test
  void modelNamesAreIdOrIdAtVersion() {
    invalid("{\"prompt\":\"K\",\"model\":\"m@0\"}", "model", ">= 1");
    invalid("{\"prompt\":\"K\",\"model\":\"m@x\"}", "model", ">= 1");
    invalid("{\"prompt\":\"K\",\"model\":\"gpt 4\"}", "model", "ID or ID@VERSION");
    invalid("{\"prompt\":\"K\",\"model\":\"\"}", "model", "ID");
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
