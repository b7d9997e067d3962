package io.charstream.app.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code bench serve}'s steady state in segments: the segments' windows add up to one, and a run's
 * ratio is the median of its segments'.
 */
class ServeSegmentsTest {

  private static final long MS = 1_000_000L;

  private static LoadGenerator.Answer answer(long sentMs, long answeredMs, int chars) {
    return new LoadGenerator.Answer(sentMs * MS, answeredMs * MS, chars, 1, 2, 100, false);
  }

  @Test
  void segmentsAddUpToOneWindowWithoutTheGapsBetweenThem() {
    // Segment one: steady from 100 to 1100 ms; segment two (after an engine window): 5000-5500.
    LoadGenerator.Run first =
        new LoadGenerator.Run(
            List.of(
                answer(50, 150, 256), // sent in the ramp: its characters count, its latency not
                answer(200, 240, 256),
                answer(1000, 1200, 256)), // answered after the end: latency counts, chars not
            0,
            100 * MS,
            1100 * MS);
    LoadGenerator.Run second =
        new LoadGenerator.Run(
            List.of(answer(5000, 5010, 128), answer(5100, 5130, 128)),
            5000 * MS,
            5000 * MS,
            5500 * MS);

    LoadGenerator.Window w = LoadGenerator.Window.of(List.of(first, second));

    assertThat(w.seconds()).isEqualTo(1.5);
    assertThat(w.requests()).isEqualTo(4);
    assertThat(w.answered()).isEqualTo(4);
    assertThat(w.chars()).isEqualTo(256 + 256 + 128 + 128);
    assertThat(w.charsPerSecond()).isEqualTo(768 / 1.5);
    assertThat(w.latencyMs().count()).isEqualTo(4);
    assertThat(w.latencyMs().percentileMs(100)).isCloseTo(200.0, within(0.2)); // 3 digits
    // One segment alone is what a single window over its range reads.
    assertThat(LoadGenerator.Window.of(List.of(first)).chars()).isEqualTo(first.steady().chars());
  }

  @Test
  void theMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
    assertThat(BenchServeCommand.median(List.of(0.7, 0.6, 0.9))).isEqualTo(0.7);
    assertThat(BenchServeCommand.median(List.of(1.0, 0.25, 0.75, 0.5))).isEqualTo(0.625);
    assertThat(BenchServeCommand.median(List.of())).isNaN();
  }
}
