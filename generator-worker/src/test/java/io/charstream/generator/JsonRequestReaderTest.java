package io.charstream.generator;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.generator.RequestReader.Accepted;
import io.charstream.generator.RequestReader.Read;
import io.charstream.generator.RequestReader.Rejected;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonRequestReaderTest {

  private final JsonRequestReader reader =
      new JsonRequestReader(new JsonRequestReader.Limits(10, 2000, 2, "shakespeare"));

  private Read read(String key, String json) {
    return reader.read(key, json == null ? null : json.getBytes(StandardCharsets.UTF_8));
  }

  private static String req(String extra) {
    return "{\"schemaVersion\":1,\"requestId\":\"r1\",\"prompt\":\"KING\"" + extra + "}";
  }

  private Rejected rejected(String key, String json) {
    Read r = read(key, json);
    assertThat(r).isInstanceOf(Rejected.class);
    return (Rejected) r;
  }

  @Test
  void aKeyedTombstoneIsACancelAndOnlyAKeyedTombstone() {
    assertThat(read("r1", null)).isEqualTo(new RequestReader.Cancel("r1"));
    // An empty value is not a tombstone; a tombstone without a usable key names no request.
    assertThat(rejected("r1", "").kind()).isEqualTo(ErrorKind.MALFORMED_JSON);
    assertThat(rejected("r1", "").requestId()).isEqualTo("r1");
    assertThat(rejected("a b/c", null).requestId()).isNull();
    assertThat(rejected(null, null).requestId()).isNull();
  }

  @Test
  void timeoutMsIsCarriedOverAndMustBePositive() {
    assertThat(((Accepted) read("r1", req(""))).spec().timeoutMs()).isNull();
    assertThat(((Accepted) read("r1", req(",\"timeoutMs\":250"))).spec().timeoutMs())
        .isEqualTo(250L);
    Rejected zero = rejected("r1", req(",\"timeoutMs\":0"));
    assertThat(zero.kind()).isEqualTo(ErrorKind.INVALID_OPTION);
    assertThat(zero.message()).contains("timeoutMs");
    assertThat(rejected("r1", req(",\"timeoutMs\":\"1s\"")).kind())
        .isEqualTo(ErrorKind.INVALID_FIELD);
  }

  @Test
  void priorityDefaultsToInteractiveAndOtherValuesAreRejectedNamingTheField() {
    assertThat(((Accepted) read("r1", req(""))).spec().priority())
        .isEqualTo(io.charstream.schemas.message.Priority.INTERACTIVE);
    assertThat(((Accepted) read("r1", req(",\"priority\":\"batch\""))).spec().priority())
        .isEqualTo(io.charstream.schemas.message.Priority.BATCH);
    Rejected urgent = rejected("r1", req(",\"priority\":\"urgent\""));
    assertThat(urgent.kind()).isEqualTo(ErrorKind.INVALID_FIELD);
    assertThat(urgent.message()).contains("priority");
  }

  @Test
  void nAndLogprobsAreCarriedOverWithinTheirLimits() {
    JsonRequestReader three =
        new JsonRequestReader(new JsonRequestReader.Limits(10, 2000, 2, "shakespeare", 3));
    RequestSpec spec =
        ((Accepted)
                three.read("r1", req(",\"n\":3,\"logprobs\":5").getBytes(StandardCharsets.UTF_8)))
            .spec();
    assertThat(spec.n()).isEqualTo(3);
    assertThat(spec.logprobs()).isEqualTo(5);
    RequestSpec plain =
        ((Accepted) three.read("r1", req("").getBytes(StandardCharsets.UTF_8))).spec();
    assertThat(plain.n()).isEqualTo(1);
    assertThat(plain.logprobs()).isZero();
    Read four = three.read("r1", req(",\"n\":4").getBytes(StandardCharsets.UTF_8));
    assertThat(((Rejected) four).kind()).isEqualTo(ErrorKind.INVALID_OPTION);
    assertThat(((Rejected) four).message()).contains("field 'n'").contains("1..3");
    // The default limits allow one sample.
    assertThat(rejected("r1", req(",\"n\":2")).kind()).isEqualTo(ErrorKind.INVALID_OPTION);
    assertThat(rejected("r1", req(",\"n\":0")).kind()).isEqualTo(ErrorKind.INVALID_OPTION);
    Rejected six = rejected("r1", req(",\"logprobs\":6"));
    assertThat(six.kind()).isEqualTo(ErrorKind.INVALID_OPTION);
    assertThat(six.message()).contains("logprobs").contains("0..5");
  }

  @Test
  void aMinimalRequestTakesTheDefaults() {
    Read r = read("r1", req(""));
    assertThat(r).isInstanceOf(Accepted.class);
    RequestSpec spec = ((Accepted) r).spec();
    assertThat(spec.requestId()).isEqualTo("r1");
    assertThat(spec.length()).isEqualTo(1024);
    assertThat(spec.sampling().topN()).isEqualTo(3);
    assertThat(spec.sampling().temperature()).isEqualTo(1.0);
    assertThat(spec.sampling().randomSeed()).isEqualTo(JsonRequestReader.seedOf("r1"));
    assertThat(spec.modelId()).isEqualTo("shakespeare");
    assertThat(spec.modelVersion()).isNull();
    assertThat(spec.stop()).isEmpty();
    assertThat(spec.stream()).isFalse();
  }

  @Test
  void everyFieldIsCarriedOver() {
    RequestSpec spec =
        ((Accepted)
                read(
                    null,
                    req(
                        ",\"length\":20,\"topN\":5,\"temperature\":0.5,\"randomSeed\":7,"
                            + "\"modelId\":\"nietzsche\",\"modelVersion\":3,\"stop\":[\"\\n\\n\"],\"stream\":true")))
            .spec();
    assertThat(spec.length()).isEqualTo(20);
    assertThat(spec.sampling().topN()).isEqualTo(5);
    assertThat(spec.sampling().temperature()).isEqualTo(0.5);
    assertThat(spec.sampling().randomSeed()).isEqualTo(7);
    assertThat(spec.modelId()).isEqualTo("nietzsche");
    assertThat(spec.modelVersion()).isEqualTo(3L);
    assertThat(spec.stop()).containsExactly("\n\n");
    assertThat(spec.stream()).isTrue();
  }

  @Test
  void malformedJsonIsAnsweredToTheKeyOrDeadLetteredWithoutOne() {
    Rejected withKey = rejected("r9", "{not json");
    assertThat(withKey.requestId()).isEqualTo("r9");
    assertThat(withKey.kind()).isEqualTo(ErrorKind.MALFORMED_JSON);

    Rejected noKey = rejected(null, "{not json");
    assertThat(noKey.requestId()).isNull();
    assertThat(noKey.kind()).isEqualTo(ErrorKind.MALFORMED_JSON);

    assertThat(rejected(null, null).kind()).isEqualTo(ErrorKind.MALFORMED_JSON);
    assertThat(rejected(null, "").kind()).isEqualTo(ErrorKind.MALFORMED_JSON);
    assertThat(rejected(null, "[1,2]").requestId()).isNull();
    assertThat(rejected("bad key with spaces", "{").requestId()).isNull();
  }

  @Test
  void wrongTypesAndUnknownFieldsNameTheField() {
    Rejected wrongType = rejected("k", req(",\"length\":\"ten\""));
    assertThat(wrongType.requestId()).isEqualTo("r1"); // read from the JSON, not the key
    assertThat(wrongType.message()).contains("length");
    assertThat(wrongType.kind()).isEqualTo(ErrorKind.INVALID_FIELD);

    Rejected unknown = rejected("k", req(",\"promtp\":\"x\""));
    assertThat(unknown.kind()).isEqualTo(ErrorKind.INVALID_FIELD);
    assertThat(unknown.message()).contains("promtp");

    Rejected missing = rejected("k", "{\"schemaVersion\":1,\"requestId\":\"r1\"}");
    assertThat(missing.kind()).isEqualTo(ErrorKind.INVALID_FIELD);
    assertThat(missing.message()).contains("prompt");
  }

  @Test
  void promptLimits() {
    assertThat(rejected("k", "{\"schemaVersion\":1,\"requestId\":\"r1\",\"prompt\":\"\"}").kind())
        .isEqualTo(ErrorKind.EMPTY_PROMPT);
    Rejected tooLong =
        rejected("k", "{\"schemaVersion\":1,\"requestId\":\"r1\",\"prompt\":\"12345678901\"}");
    assertThat(tooLong.kind()).isEqualTo(ErrorKind.PROMPT_TOO_LONG);
    assertThat(tooLong.message()).contains("11 characters").contains("10");
    // Ten code points, some outside the BMP, are within the limit of ten characters.
    assertThat(
            read(
                "k",
                "{\"schemaVersion\":1,\"requestId\":\"r1\",\"prompt\":\"\uD83D\uDE00\uD83D\uDE00abcdefgh\"}"))
        .isInstanceOf(Accepted.class);
  }

  @Test
  void lengthOutOfRange() {
    assertThat(rejected("k", req(",\"length\":0")).kind()).isEqualTo(ErrorKind.LENGTH_OUT_OF_RANGE);
    assertThat(rejected("k", req(",\"length\":-5")).kind())
        .isEqualTo(ErrorKind.LENGTH_OUT_OF_RANGE);
    Rejected tooBig = rejected("k", req(",\"length\":2001"));
    assertThat(tooBig.kind()).isEqualTo(ErrorKind.LENGTH_OUT_OF_RANGE);
    assertThat(tooBig.message()).contains("1..2000");
    assertThat(read("k", req(",\"length\":2000"))).isInstanceOf(Accepted.class);
  }

  @Test
  void samplingAndStopOptions() {
    assertThat(rejected("k", req(",\"temperature\":0")).kind()).isEqualTo(ErrorKind.INVALID_OPTION);
    assertThat(rejected("k", req(",\"temperature\":1000")).kind())
        .isEqualTo(ErrorKind.INVALID_OPTION);
    assertThat(rejected("k", req(",\"topN\":0")).kind()).isEqualTo(ErrorKind.INVALID_OPTION);
    assertThat(rejected("k", req(",\"stop\":[\"a\",\"b\",\"c\"]")).kind())
        .isEqualTo(ErrorKind.INVALID_OPTION);
    assertThat(rejected("k", req(",\"stop\":[\"" + "x".repeat(65) + "\"]")).kind())
        .isEqualTo(ErrorKind.INVALID_OPTION);
    assertThat(rejected("k", req(",\"stop\":[\"\"]")).kind()).isEqualTo(ErrorKind.INVALID_OPTION);
  }

  @Test
  void derivedSeedsAreStablePerRequestId() {
    assertThat(JsonRequestReader.seedOf("abc")).isEqualTo(JsonRequestReader.seedOf("abc"));
    assertThat(JsonRequestReader.seedOf("abc")).isNotEqualTo(JsonRequestReader.seedOf("abd"));
  }
}
