package io.charstream.app.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.schemas.message.TrainingRequest;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoPlanTest {
  static DemoPlan plan(int maxChars, List<String> seeds) {
    return new DemoPlan(
        maxChars,
        TrainingRequest.defaults("job-1", "m", "c"),
        seeds,
        10,
        3,
        1.0,
        1L,
        Duration.ofSeconds(1),
        Duration.ofSeconds(1));
  }

  @Test
  void cutsAtTheLastLineEndBeforeTheLimit() {
    String text = "first line\nsecond line\nthird line\n";
    assertThat(plan(18, List.of("a")).cut(text)).isEqualTo("first line\n");
    assertThat(plan(23, List.of("a")).cut(text)).isEqualTo("first line\nsecond line\n");
  }

  @Test
  void zeroOrALimitAboveTheLengthKeepsEverything() {
    String text = "abc\ndef\n";
    assertThat(plan(0, List.of("a")).cut(text)).isSameAs(text);
    assertThat(plan(100, List.of("a")).cut(text)).isSameAs(text);
  }

  @Test
  void withoutANearbyLineEndItCutsAtTheLimitButNeverInsideASurrogatePair() {
    String text = "abcdefgh\uD83D\uDE00ijk"; // an emoji (two chars) at index 8..9
    assertThat(plan(9, List.of("a")).cut(text)).isEqualTo("abcdefgh");
    assertThat(plan(5, List.of("a")).cut(text)).isEqualTo("abcde");
  }

  @Test
  void badValuesNameTheFlag() {
    assertThatThrownBy(() -> plan(-1, List.of("a"))).hasMessageContaining("--corpus-chars");
    assertThatThrownBy(() -> plan(0, List.of())).hasMessageContaining("--seed");
    assertThatThrownBy(() -> plan(0, List.of(""))).hasMessageContaining("--seed must not be empty");
    assertThatThrownBy(
            () ->
                new DemoPlan(
                    0,
                    TrainingRequest.defaults("j", "m", "c"),
                    List.of("a"),
                    0,
                    3,
                    1.0,
                    1L,
                    Duration.ZERO,
                    Duration.ZERO))
        .hasMessageContaining("--length");
    assertThatThrownBy(
            () ->
                new DemoPlan(
                    0,
                    TrainingRequest.defaults(null, "m", "c"),
                    List.of("a"),
                    1,
                    3,
                    1.0,
                    1L,
                    Duration.ZERO,
                    Duration.ZERO))
        .hasMessageContaining("jobId");
  }
}
