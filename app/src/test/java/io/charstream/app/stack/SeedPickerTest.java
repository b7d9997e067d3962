package io.charstream.app.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SeedPickerTest {
  static final String TEXT =
      "It was the best of times, it was the worst of times\n\nCall me Ishmael.\n"
          + "Caf\u00e9 society\nOk\nHappy families are all alike\n";

  @Test
  void picksDistinctLineOpeningsCutAtAWordEnd() {
    List<String> seeds = SeedPicker.lineStarts(TEXT, 3, 1L, true);
    assertThat(seeds)
        .hasSize(3)
        .doesNotHaveDuplicates()
        .allMatch(s -> s.length() <= SeedPicker.MAX_CHARS && s.length() >= 3)
        .isSubsetOf("It was the best of", "Call me Ishmael.", "Happy families are");
  }

  @Test
  void theSameSeedPicksTheSameOpenings() {
    assertThat(SeedPicker.lineStarts(TEXT, 2, 9L, true))
        .isEqualTo(SeedPicker.lineStarts(TEXT, 2, 9L, true));
  }

  @Test
  void withTheReferenceVocabularyLinesOutsidePrintableAsciiAreSkipped() {
    assertThat(SeedPicker.lineStarts(TEXT, 10, 1L, true)).doesNotContain("Caf\u00e9 society");
    assertThat(SeedPicker.lineStarts(TEXT, 10, 1L, false)).contains("Caf\u00e9 society");
  }

  @Test
  void aTextWithoutUsableLinesStillGivesOneSeed() {
    assertThat(SeedPicker.lineStarts("ab\n", 3, 1L, true)).containsExactly("ab\n");
  }
}
