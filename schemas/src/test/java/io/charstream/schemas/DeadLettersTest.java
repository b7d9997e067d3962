package io.charstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class DeadLettersTest {

  private static final int MIB = TopicSettings.MIB;

  private static Headers errorHeaders() {
    Headers h = new RecordHeaders();
    DeadLetters.addErrorHeaders(
        h, "charstream.corpus", 2, 41, 1000L, "not-json", "record is not valid JSON", "w1");
    return h;
  }

  @Test
  void aDeadLetterThatFitsKeepsItsValueAndHeaders() {
    Headers h = errorHeaders();
    byte[] value = new byte[MIB / 2];
    assertThat(DeadLetters.fit("k".getBytes(StandardCharsets.UTF_8), value, h, MIB))
        .isSameAs(value);
    assertThat(DeadLetters.fit(null, null, h, MIB)).isNull();
    assertThat(DeadLetters.header(h, DeadLetters.VALUE_ORIGINAL_BYTES)).isNull();
    assertThat(DeadLetters.header(h, DeadLetters.ERROR_MESSAGE))
        .isEqualTo("record is not valid JSON");
  }

  @Test
  void aValueTooLargeForTheDeadLetterTopicKeepsItsHeadAndSaysWhereTheWholeRecordIs() {
    Headers h = errorHeaders();
    byte[] value =
        new byte[MIB - 100]; // fits its source topic, not the DLQ once the error headers are added
    Arrays.fill(value, (byte) 'x');
    byte[] key = "corpus-a".getBytes(StandardCharsets.UTF_8);
    byte[] cut = DeadLetters.fit(key, value, h, MIB);
    assertThat(cut.length)
        .isPositive()
        .isLessThanOrEqualTo(MIB - DeadLetters.OVERHEAD_BYTES - key.length);
    assertThat(Arrays.equals(cut, Arrays.copyOf(value, cut.length))).isTrue();
    assertThat(DeadLetters.header(h, DeadLetters.VALUE_ORIGINAL_BYTES))
        .isEqualTo(Integer.toString(value.length));
    assertThat(DeadLetters.header(h, DeadLetters.ERROR_MESSAGE))
        .startsWith("value cut to its first " + cut.length + " of " + value.length + " bytes")
        .contains("charstream.corpus/2@41")
        .endsWith("record is not valid JSON");
  }

  @Test
  void hostileOriginalHeadersGiveWayToTheErrorHeaders() {
    Headers h = new RecordHeaders();
    h.add("junk", new byte[700 * 1024]);
    DeadLetters.addErrorHeaders(h, "t", 0, 1, 2L, "not-json", "bad", "w1");
    byte[] cut = DeadLetters.fit(null, new byte[600 * 1024], h, MIB);
    assertThat(h.lastHeader("junk")).isNull();
    assertThat(DeadLetters.header(h, DeadLetters.ERROR_KIND)).isEqualTo("not-json");
    assertThat(cut.length).isEqualTo(600 * 1024); // with the junk gone, the value fits whole
    assertThat(DeadLetters.header(h, DeadLetters.VALUE_ORIGINAL_BYTES)).isNull();
  }
}
