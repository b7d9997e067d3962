package io.charstream.model.fused;

import io.charstream.model.Sampler;
import io.charstream.model.SamplingOptions;
import io.charstream.model.SlotTable;
import io.charstream.model.TopNSampler;
import java.util.Arrays;

/**
 * The engine's {@code GenerationBatch} contract on {@link FusedStep}: a table of generation slots
 * that advance together, one character per {@link #step()}; same methods, same meaning. Each slot has
 * its own random source seeded from its {@link SamplingOptions}, and a slot's arithmetic does not
 * depend on the other slots, so batched output equals one-at-a-time output. With many open slots a
 * step runs on {@link FusedRuntime#threads()} threads, each advancing its share of the slots.
 *
 * <p>Not thread-safe: owned by one thread.
 */
public final class FusedGenerationBatch {

  /** Below this many open slots per thread, one thread does the whole step. */
  static final int MIN_SLOTS_PER_THREAD = 8;

  private final FusedStep model;
  private final int capacity;
  private final Sampler sampler;
  private final FusedStep.StepState state;
  private final FusedStep.Scratch[] scratch;
  /** [slot][vocab] logits of the last step. */
  private final float[][] logits;
  private final SlotTable slots;
  /** Open slot indices, ascending; the first {@code openCount} entries are valid. */
  private final int[] one = new int[1];

  public FusedGenerationBatch(FusedStep model, int capacity) {
    this(model, capacity, TopNSampler.INSTANCE);
  }

  public FusedGenerationBatch(FusedStep model, int capacity, Sampler sampler) {
    this.slots = new SlotTable(capacity);
    this.model = model;
    this.capacity = capacity;
    this.sampler = sampler;
    state = new FusedStep.StepState(model.numLayers(), capacity, model.hiddenSize());
    int threads = Math.max(1, Math.min(FusedRuntime.threads(), capacity / MIN_SLOTS_PER_THREAD));
    scratch = new FusedStep.Scratch[threads];
    for (int t = 0; t < threads; t++) {
      scratch[t] = new FusedStep.Scratch(model, (capacity + threads - 1) / threads);
    }
    logits = new float[capacity][model.vocabSize()];
  }

  public FusedStep model() {
    return model;
  }

  public int capacity() {
    return capacity;
  }

  /**
   * Primes a free slot with the prompt: all ids but the last run through the network, and the last is
   * the input of the slot's first step, as the reference does.
   *
   * @return the slot index (the lowest free one)
   * @throws IllegalStateException when no slot is free
   * @throws IllegalArgumentException on an empty prompt or an id outside the vocabulary
   */
  public int open(int[] promptIds, SamplingOptions samplingOptions) {
    SlotTable.checkPrompt(promptIds, model.vocabSize());
    int slot = slots.lowestFree();
    for (int l = 0; l < model.numLayers(); l++) {
      Arrays.fill(state.h[l][slot], 0f);
      Arrays.fill(state.c[l][slot], 0f);
    }
    int[] nextInput = slots.nextInput();
    one[0] = slot;
    for (int t = 0; t < promptIds.length - 1; t++) {
      nextInput[slot] = promptIds[t];
      model.step(state, one, 0, 1, nextInput, null, scratch[0]);
    }
    slots.activate(slot, promptIds[promptIds.length - 1], samplingOptions);
    return slot;
  }

  public int freeSlots() {
    return slots.freeSlots();
  }

  public int openSlots() {
    return slots.openCount();
  }

  public boolean isOpen(int slot) {
    return slots.isOpen(slot);
  }

  /**
   * Advances every open slot by one character.
   *
   * @return the sampled id per slot ({@code capacity} entries; -1 for free slots)
   */
  public int[] step() {
    int[] sampled = new int[capacity];
    Arrays.fill(sampled, -1);
    int openCount = slots.openCount();
    if (openCount == 0) {
      return sampled;
    }
    int[] open = slots.openSlots();
    int[] nextInput = slots.nextInput();
    int threads = Math.max(1, Math.min(scratch.length, openCount / MIN_SLOTS_PER_THREAD));
    Runnable[] tasks = new Runnable[threads];
    for (int t = 0; t < threads; t++) {
      int from = openCount * t / threads;
      int to = openCount * (t + 1) / threads;
      FusedStep.Scratch s = scratch[t];
      tasks[t] = () -> {
        model.step(state, open, from, to, nextInput, logits, s);
        sample(open, from, to, sampled);
      };
    }
    FusedRuntime.runAll(tasks);
    for (int i = 0; i < openCount; i++) {
      int slot = open[i];
      nextInput[slot] = sampled[slot];
    }
    return sampled;
  }

  private void sample(int[] open, int from, int to, int[] sampled) {
    int vocab = model.vocabSize();
    for (int i = from; i < to; i++) {
      int slot = open[i];
      sampled[slot] = slots.sample(sampler, slot, logits[slot], vocab);
    }
  }

  /** The id a slot drew in the last {@link #step()} (its next input), or its last prompt id before that. */
  int lastSampled(int slot) {
    return slots.nextInput()[slot];
  }

  /** A copy of a slot's logits from the last {@link #step()}: [vocab]. */
  public float[] lastLogits(int slot) {
    return logits[slot].clone();
  }

  /** Frees a slot (its state is discarded). */
  public void close(int slot) {
    slots.close(slot);
  }
}
