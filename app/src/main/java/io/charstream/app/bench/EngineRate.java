package io.charstream.app.bench;

import io.charstream.model.SamplingOptions;
import io.charstream.model.Vocabulary;
import io.charstream.model.generation.GenerationModel;
import io.charstream.model.generation.GenerationStreams;

/**
 * The engine's own generation speed, without Kafka: {@code batch} slots primed with the prompt,
 * stepped together for a given time. What serving is compared with.
 */
final class EngineRate {

  /** Steps between clock reads. */
  private static final int STEPS_PER_CHECK = 32;

  private final GenerationModel model;
  private final int[] promptIds;

  EngineRate(GenerationModel model, String prompt) {
    this.model = model;
    Vocabulary v = model.vocabulary();
    this.promptIds = v.primed(v.encode(prompt).ids());
  }

  String kernel() {
    return model.kernel();
  }

  /** Steps batch 1 and batch {@code capacity} for a while each, so the JIT has compiled them. */
  void warmUp(int capacity, double seconds) {
    measure(1, seconds / 2);
    measure(capacity, seconds / 2);
  }

  /** A measurement: characters per wall-clock second and per CPU second of the process. */
  record Rate(double charsPerSecond, double charsPerCpuSecond) {}

  /** Characters per second of {@code batch} slots stepping together for about {@code seconds}. */
  Rate measure(int batch, double seconds) {
    GenerationStreams slots = model.newStreams(batch);
    for (int i = 0; i < batch; i++) {
      slots.open(promptIds, SamplingOptions.withSeed(i));
    }
    long steps = 0;
    long cpu0 = Machine.processCpuNanos();
    long t0 = System.nanoTime();
    long until = t0 + Math.round(seconds * 1e9);
    long now;
    do {
      for (int i = 0; i < STEPS_PER_CHECK; i++) {
        slots.step();
      }
      steps += STEPS_PER_CHECK;
      now = System.nanoTime();
    } while (now < until);
    double cpu = (Machine.processCpuNanos() - cpu0) / 1e9;
    return new Rate(batch * steps / ((now - t0) / 1e9), batch * steps / cpu);
  }
}
