package io.charstream.model.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What fused layers hand each other beside DL4J's arrays ({@link ValueHandoff}, {@link
 * EmbeddingLookup}): found only for the very array published, never for a copy.
 */
class HandoffTest {

  @Test
  void valuesAreFoundForTheSameArrayOnly() {
    INDArray out = Nd4j.zeros(2, 3, 4);
    float[] values = new float[40];
    ValueHandoff.publish(out, values, 16);

    ValueHandoff.Values found = ValueHandoff.of(out, 24);
    assertThat(found).isNotNull();
    assertThat(found.values()).isSameAs(values);
    assertThat(found.offset()).isEqualTo(16);
    assertThat(ValueHandoff.of(out.dup(), 24)).as("a copy").isNull();
    assertThat(ValueHandoff.of(out, 25)).as("more values than the array holds").isNull();
  }

  @Test
  void onlyTheLastFewArraysAreKept() {
    INDArray first = Nd4j.zeros(1);
    ValueHandoff.publish(first, new float[1], 0);
    for (int i = 0; i < 8; i++) {
      ValueHandoff.publish(Nd4j.zeros(1), new float[1], 0);
    }
    assertThat(ValueHandoff.of(first, 1)).isNull();
  }

  @Test
  void anotherThreadSeesNothing() throws InterruptedException {
    INDArray out = Nd4j.zeros(1);
    ValueHandoff.publish(out, new float[1], 0);
    EmbeddingLookup.publish(out, new int[1], new float[1], 1, 1);
    Object[] seen = new Object[2];
    Thread other =
        new Thread(
            () -> {
              seen[0] = ValueHandoff.of(out, 1);
              seen[1] = EmbeddingLookup.producing(out);
            });
    other.start();
    other.join();
    assertThat(seen).containsOnlyNulls();
  }

  @Test
  void embeddingLookupIsFoundForItsOutputOnly() {
    INDArray out = Nd4j.zeros(2, 4, 3);
    EmbeddingLookup lookup = EmbeddingLookup.publish(out, new int[6], new float[20], 5, 4);
    assertThat(EmbeddingLookup.producing(out)).isSameAs(lookup);
    assertThat(EmbeddingLookup.producing(out.dup())).isNull();
  }

  @Test
  void aFoldedGradientGoesOnlyToItsPlaceholder() {
    INDArray out = Nd4j.zeros(2, 4, 3);
    EmbeddingLookup lookup = EmbeddingLookup.publish(out, new int[6], new float[20], 5, 4);
    assertThat(lookup.takeGradient(Nd4j.zeros(2, 4, 3))).as("nothing folded").isNull();

    float[] gradient = new float[20];
    INDArray placeholder = Nd4j.zeros(2, 4, 3);
    lookup.foldGradient(gradient, placeholder);
    assertThat(lookup.takeGradient(placeholder)).isSameAs(gradient);
    assertThat(lookup.takeGradient(placeholder)).as("taken once").isNull();

    lookup.foldGradient(gradient, placeholder);
    assertThatThrownBy(() -> lookup.takeGradient(placeholder.dup()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("is not the one it returned");
  }
}
