package io.charstream.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A worker recovers from {@link TransactionalOutput#FENCED_RESTARTS_MAX} fencings within {@link
 * TransactionalOutput#FENCED_WINDOW_NANOS}; one more is fatal (two instances with one name).
 */
class FencingBudgetTest {

  private final TransactionalOutput output =
      new TransactionalOutput(
          () -> new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer()),
          "budget-test");

  @Test
  void oneFencingMoreThanTheBudgetWithinTheWindowIsFatal() {
    ProducerFencedException e = new ProducerFencedException("test");
    long t = 1_000_000_000L;
    for (int i = 0; i < TransactionalOutput.FENCED_RESTARTS_MAX; i++) {
      output.fencedAgain(e, t + i);
    }
    assertThatThrownBy(() -> output.fencedAgain(e, t + 10)).isSameAs(e);
  }

  @Test
  void fencingsOlderThanTheWindowAreForgotten() {
    ProducerFencedException e = new ProducerFencedException("test");
    long t = 1_000_000_000L;
    for (int i = 0; i < TransactionalOutput.FENCED_RESTARTS_MAX; i++) {
      output.fencedAgain(e, t + i);
    }
    long later = t + TransactionalOutput.FENCED_WINDOW_NANOS + 10;
    output.fencedAgain(e, later); // the first ones left the window
    assertThat(TransactionalOutput.fenced(e)).isTrue();
    assertThatThrownBy(
            () -> {
              for (int i = 1; i <= TransactionalOutput.FENCED_RESTARTS_MAX; i++) {
                output.fencedAgain(e, later + i);
              }
            })
        .isSameAs(e);
  }
}
