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
  private final ProducerFencedException e = new ProducerFencedException("test");

  /**
   * {@link TransactionalOutput#FENCED_RESTARTS_MAX} fencings, at t, t + 1 ns, ...: all survived.
   */
  private void fenceTheWholeBudget(long t) {
    for (int i = 0; i < TransactionalOutput.FENCED_RESTARTS_MAX; i++) {
      output.fencedAgain(e, t + i);
    }
  }

  @Test
  void oneFencingMoreThanTheBudgetWithinTheWindowIsFatal() {
    long t = 1_000_000_000L;
    fenceTheWholeBudget(t);
    assertThatThrownBy(() -> output.fencedAgain(e, t + 10)).isSameAs(e);
  }

  @Test
  void fencingsOlderThanTheWindowAreForgotten() {
    long t = 1_000_000_000L;
    fenceTheWholeBudget(t);
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
