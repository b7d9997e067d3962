package io.charstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class VocabularyTest {

  @Test
  void referenceHas98IdsLikeTheReference() {
    Vocabulary v = Vocabulary.reference();
    assertThat(v.size()).isEqualTo(98);
    assertThat(v.kind()).isEqualTo("reference");
    // sorted(printable minus \x0b \x0c \r): \t=1, \n=2, ' '=3, ..., '~'=97
    assertThat(v.id('\t')).isEqualTo(1);
    assertThat(v.id('\n')).isEqualTo(2);
    assertThat(v.id(' ')).isEqualTo(3);
    assertThat(v.id('0')).isEqualTo(3 + ('0' - ' '));
    assertThat(v.id('~')).isEqualTo(97);
    assertThat(v.id('\r')).isZero();
    assertThat(v.id(0x0b)).isZero();
    assertThat(v.id(0x0c)).isZero();
    assertThat(v.decode(0)).isEmpty();
    assertThat(v.decode(v.encode("KING RICHARD:\n\tHi!").ids())).isEqualTo("KING RICHARD:\n\tHi!");
  }

  @Test
  void countsAndReportsUnknownCharacters() {
    Vocabulary.Encoded e = Vocabulary.reference().encode("caf\u00e9\r\n\u00e9");
    assertThat(e.ids())
        .containsExactly(
            Vocabulary.reference().id('c'),
            Vocabulary.reference().id('a'),
            Vocabulary.reference().id('f'),
            0,
            0,
            Vocabulary.reference().id('\n'),
            0);
    assertThat(e.unknownCount()).isEqualTo(3);
    assertThat(e.unknownCodePoints())
        .containsEntry(0xe9, 2L)
        .containsEntry((int) '\r', 1L)
        .hasSize(2);
  }

  @Test
  void surrogatePairsAreOneCharacter() {
    String text = "a\uD83D\uDE00b\uD83D\uDE00"; // a😀b😀
    Vocabulary v = Vocabulary.learn(text);
    assertThat(v.size()).isEqualTo(4);
    assertThat(v.kind()).isEqualTo("learned");
    Vocabulary.Encoded e = v.encode(text);
    assertThat(e.ids()).hasSize(4);
    assertThat(e.unknownCount()).isZero();
    assertThat(v.decode(e.ids())).isEqualTo(text);
    assertThat(v.decode(v.id(0x1F600))).isEqualTo("\uD83D\uDE00");
    // The reference vocabulary counts the emoji once each, not per UTF-16 unit.
    assertThat(Vocabulary.reference().encode(text).unknownCount()).isEqualTo(2);
  }

  @Test
  void unpairedSurrogatesAreNeverLearnedAndEncodeToUnknown() {
    String text = "x\uD800y";
    Vocabulary v = Vocabulary.learn(text);
    assertThat(v.codePoints()).containsExactly((int) 'x', (int) 'y');
    Vocabulary.Encoded e = v.encode(text);
    assertThat(e.ids()).containsExactly(v.id('x'), 0, v.id('y'));
    assertThat(e.unknownCodePoints()).containsOnlyKeys(0xD800);
  }

  @Test
  void learnedVocabularyRoundTripsThroughItsCodePoints() {
    Vocabulary v = Vocabulary.learn("Żółć gęślą jaźń\n");
    Vocabulary copy = Vocabulary.ofCodePoints(v.codePoints());
    assertThat(copy).isEqualTo(v);
    assertThat(copy.kind()).isEqualTo("learned");
    assertThat(Vocabulary.ofCodePoints(Vocabulary.reference().codePoints()))
        .isSameAs(Vocabulary.reference());
    assertThat(Vocabulary.learn("").size()).isEqualTo(1);
  }

  @Test
  void rejectsBadCodePointListsAndIds() {
    assertThatThrownBy(() -> Vocabulary.ofCodePoints(List.of(98, 97)))
        .hasMessageContaining("ascending");
    assertThatThrownBy(() -> Vocabulary.ofCodePoints(List.of(0xD800)))
        .hasMessageContaining("not a Unicode character");
    assertThatThrownBy(() -> Vocabulary.reference().decode(98)).hasMessageContaining("outside");
    assertThatThrownBy(() -> Vocabulary.forKind("bytes", ""))
        .hasMessageContaining("'reference' or 'learned'");
  }

  @Test
  void generationReadsALineBreakBeforeThePrompt() {
    Vocabulary reference = Vocabulary.reference();
    int[] prompt = reference.encode("KING").ids();
    int newline = reference.id('\n');
    assertThat(reference.primed(prompt))
        .containsExactly(newline, prompt[0], prompt[1], prompt[2], prompt[3]);
    Vocabulary noNewline = Vocabulary.learn("abc");
    int[] ids = noNewline.encode("ab").ids();
    assertThat(noNewline.primed(ids)).containsExactly(ids);
  }
}
