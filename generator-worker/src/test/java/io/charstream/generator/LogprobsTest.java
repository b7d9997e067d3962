package io.charstream.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.charstream.model.Vocabulary;
import io.charstream.schemas.message.GenerateResponse.Alternative;
import io.charstream.schemas.message.GenerateResponse.CharLogprob;
import org.junit.jupiter.api.Test;

class LogprobsTest {

  private final Vocabulary vocabulary = Vocabulary.reference();

  @Test
  void logSoftmaxOfTheRawLogitsAndTheMostProbableFirst() {
    float[] logits = new float[vocabulary.size()];
    java.util.Arrays.fill(logits, -1000f); // effectively impossible
    int a = vocabulary.id('a');
    int b = vocabulary.id('b');
    int c = vocabulary.id('c');
    logits[a] = (float) Math.log(0.5) + 3f; // a constant shift changes nothing
    logits[b] = (float) Math.log(0.3) + 3f;
    logits[c] = (float) Math.log(0.2) + 3f;

    CharLogprob chosen = Logprobs.of(logits, b, 2, vocabulary);
    assertThat(chosen.text()).isEqualTo("b");
    assertThat(chosen.logprob()).isCloseTo(Math.log(0.3), within(1e-5));
    assertThat(chosen.top()).extracting(Alternative::text).containsExactly("a", "b");
    assertThat(chosen.top().get(0).logprob()).isCloseTo(Math.log(0.5), within(1e-5));

    assertThat(Logprobs.of(logits, c, 5, vocabulary).top())
        .extracting(Alternative::text)
        .startsWith("a", "b", "c")
        .hasSize(5);
    // Ties keep the lower id first.
    float[] flat = new float[vocabulary.size()];
    assertThat(Logprobs.of(flat, 7, 3, vocabulary).top())
        .extracting(Alternative::logprob)
        .allSatisfy(l -> assertThat(l).isCloseTo(-Math.log(vocabulary.size()), within(1e-6)));
    assertThat(Logprobs.of(flat, 7, 3, vocabulary).top())
        .extracting(Alternative::text)
        .containsExactly(vocabulary.decode(0), vocabulary.decode(1), vocabulary.decode(2));
  }
}
