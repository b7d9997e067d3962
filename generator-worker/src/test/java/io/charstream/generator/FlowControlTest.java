package io.charstream.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.charstream.generator.FlowControl.Action;
import org.junit.jupiter.api.Test;

class FlowControlTest {

  @Test
  void pausesAtTheLimitAndResumesAtHalf() {
    FlowControl fc = new FlowControl(8);
    assertThat(fc.update(7)).isEqualTo(Action.NONE);
    assertThat(fc.update(8)).isEqualTo(Action.PAUSE);
    assertThat(fc.paused()).isTrue();
    assertThat(fc.update(9)).isEqualTo(Action.NONE);
    assertThat(fc.update(5)).isEqualTo(Action.NONE); // still above half: no flapping
    assertThat(fc.update(4)).isEqualTo(Action.RESUME);
    assertThat(fc.paused()).isFalse();
    assertThat(fc.update(4)).isEqualTo(Action.NONE);
  }

  @Test
  void drainingStaysPausedWhateverTheQueue() {
    FlowControl fc = new FlowControl(2);
    fc.drain();
    assertThat(fc.update(0)).isEqualTo(Action.PAUSE);
    assertThat(fc.update(0)).isEqualTo(Action.NONE);
    assertThat(fc.paused()).isTrue();
  }

  @Test
  void capacityOneResumesOnlyWhenEmpty() {
    FlowControl fc = new FlowControl(1);
    assertThat(fc.update(1)).isEqualTo(Action.PAUSE);
    assertThat(fc.update(1)).isEqualTo(Action.NONE);
    assertThat(fc.update(0)).isEqualTo(Action.RESUME);
  }

  @Test
  void rejectsANonPositiveLimit() {
    assertThatThrownBy(() -> new FlowControl(0))
        .hasMessageContaining("maxQueued must be >= 1, got 0");
  }
}
