package io.charstream.trainer.request;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.schemas.json.Json;
import io.charstream.schemas.message.TrainingRequest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How the trainer's reader sorts records, and the jobId each verdict carries (one derivation). */
class JsonRequestReaderTest {
  private final RequestReader reader = new JsonRequestReader("charstream.training-requests.dlq");

  private RequestReader.Read read(String key, String value) {
    return reader.read(bytes(key), bytes(value), 2, 7);
  }

  @Test
  void aValidRequestKeyedByItsModelIsAcceptedWithJobIdAndSeedResolved() {
    RequestReader.Read read = read("m", Json.writeString(TrainingRequest.defaults(null, "m", "c")));
    assertThat(read).isInstanceOf(RequestReader.Accepted.class);
    TrainingRequest r = ((RequestReader.Accepted) read).request();
    assertThat(r.jobId()).isEqualTo("m-p2-o7");
    assertThat(r.seed()).isEqualTo(EffectiveRequest.derivedSeed("m-p2-o7"));
    assertThat(r.resolved()).isTrue();
  }

  @Test
  void aContractBreachIsRejectedWithTheIdsThatCanBeRead() {
    String bad =
        "{\"schemaVersion\":1,\"jobId\":\"%s\",\"modelId\":\"%s\",\"corpusId\":\"c\",\"seqLen\":0}";
    RequestReader.Rejected own = (RequestReader.Rejected) read("k", bad.formatted("j9", "m"));
    assertThat(own.jobId()).isEqualTo("j9");
    assertThat(own.modelId()).isEqualTo("m");
    assertThat(own.field()).isEqualTo("seqLen");
    RequestReader.Rejected fromKey =
        (RequestReader.Rejected) read("k", bad.formatted("bad id!", "bad id!"));
    assertThat(fromKey.modelId()).isEqualTo("k");
    assertThat(fromKey.jobId()).isEqualTo("k-p2-o7");
    assertThat(fromKey.reason()).startsWith("invalid training request: ");
    RequestReader.Rejected noIds = (RequestReader.Rejected) read(null, "{\"schemaVersion\":1}");
    assertThat(noIds.modelId()).isNull();
    assertThat(noIds.jobId()).isEqualTo("unknown-p2-o7");
  }

  @Test
  void onlyARecordThatIsNotJsonIsADeadLetter() {
    RequestReader.DeadLetter d = (RequestReader.DeadLetter) read("m", "{oops");
    assertThat(d.kind()).isEqualTo("not-json");
    assertThat(d.notice().jobId()).isEqualTo("m-p2-o7");
    assertThat(d.notice().field()).isNull();
    assertThat(d.notice().reason())
        .startsWith("unreadable training request (sent to charstream.training-requests.dlq): ");
    assertThat(((RequestReader.DeadLetter) read("not a valid id", "{oops")).notice()).isNull();
  }

  @Test
  void theKeyMustBeTheModelId() {
    RequestReader.Rejected r =
        (RequestReader.Rejected)
            read(null, Json.writeString(TrainingRequest.defaults("j1", "m", "c")));
    assertThat(r.field()).isEqualTo("modelId");
    assertThat(r.jobId()).isEqualTo("j1");
    assertThat(r.reason()).endsWith("but the key is missing");
  }

  @Test
  void oneJobIdDerivation() {
    assertThat(EffectiveRequest.jobId("mine", "m", 1, 2)).isEqualTo("mine");
    assertThat(EffectiveRequest.jobId("not valid", "m", 1, 2)).isEqualTo("m-p1-o2");
    assertThat(EffectiveRequest.jobId(null, null, 1, 2)).isEqualTo("unknown-p1-o2");
  }

  private static byte[] bytes(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }
}
