package io.charstream.model.fused;

import io.charstream.model.Sampler;
import io.charstream.model.SamplingOptions;
import io.charstream.model.TopNSampler;
import java.util.Arrays;
import java.util.SplittableRandom;

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
  /** The id each slot feeds in its next step. */
  private final int[] nextInput;
  private final SamplingOptions[] options;
  private final SplittableRandom[] randoms;
  private final boolean[] open;
  /** Open slot indices, ascending; the first {@code openCount} entries are valid. */
  private final int[] openSlots;
  private int openCount;
  private final int[] one = new int[1];

  public FusedGenerationBatch(FusedStep model, int capacity) {
    this(model, capacity, TopNSampler.INSTANCE);
  }

  public FusedGenerationBatch(FusedStep model, int capacity, Sampler sampler) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
    }
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
    nextInput = new int[capacity];
    options = new SamplingOptions[capacity];
    randoms = new SplittableRandom[capacity];
    open = new boolean[capacity];
    openSlots = new int[capacity];
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
    if (promptIds.length == 0) {
      throw new IllegalArgumentException("the prompt is empty: give at least one character");
    }
    for (int id : promptIds) {
      if (id < 0 || id >= model.vocabSize()) {
        throw new IllegalArgumentException("prompt id " + id + " is outside the vocabulary of "
            + model.vocabSize() + " ids");
      }
    }
    int slot = -1;
    for (int s = 0; s < capacity && slot < 0; s++) {
      if (!open[s]) {
        slot = s;
      }
    }
    if (slot < 0) {
      throw new IllegalStateException("all " + capacity + " slots are busy: close one first");
    }
    for (int l = 0; l < model.numLayers(); l++) {
      Arrays.fill(state.h[l][slot], 0f);
      Arrays.fill(state.c[l][slot], 0f);
    }
    one[0] = slot;
    for (int t = 0; t < promptIds.length - 1; t++) {
      nextInput[slot] = promptIds[t];
      model.step(state, one, 0, 1, nextInput, null, scratch[0]);
    }
    nextInput[slot] = promptIds[promptIds.length - 1];
    options[slot] = samplingOptions;
    randoms[slot] = new SplittableRandom(samplingOptions.randomSeed());
    open[slot] = true;
    rebuildOpenSlots();
    return slot;
  }

  public int freeSlots() {
    return capacity - openCount;
  }

  public int openSlots() {
    return openCount;
  }

  public boolean isOpen(int slot) {
    return slot >= 0 && slot < capacity && open[slot];
  }

  /**
   * Advances every open slot by one character.
   *
   * @return the sampled id per slot ({@code capacity} entries; -1 for free slots)
   */
  public int[] step() {
    int[] sampled = new int[capacity];
    Arrays.fill(sampled, -1);
    if (openCount == 0) {
      return sampled;
    }
    int threads = Math.max(1, Math.min(scratch.length, openCount / MIN_SLOTS_PER_THREAD));
    Runnable[] tasks = new Runnable[threads];
    for (int t = 0; t < threads; t++) {
      int from = openCount * t / threads;
      int to = openCount * (t + 1) / threads;
      FusedStep.Scratch s = scratch[t];
      tasks[t] = () -> {
        model.step(state, openSlots, from, to, nextInput, logits, s);
        sample(from, to, sampled);
      };
    }
    FusedRuntime.runAll(tasks);
    for (int i = 0; i < openCount; i++) {
      int slot = openSlots[i];
      nextInput[slot] = sampled[slot];
    }
    return sampled;
  }

  private void sample(int from, int to, int[] sampled) {
    int vocab = model.vocabSize();
    for (int i = from; i < to; i++) {
      int slot = openSlots[i];
      sampled[slot] = sampler.sample(logits[slot], 0, vocab, options[slot], randoms[slot]);
    }
  }

  /** The id a slot drew in the last {@link #step()} (its next input), or its last prompt id before that. */
  int lastSampled(int slot) {
    return nextInput[slot];
  }

  /** A copy of a slot's logits from the last {@link #step()}: [vocab]. */
  public float[] lastLogits(int slot) {
    return logits[slot].clone();
  }

  /** Frees a slot (its state is discarded). */
  public void close(int slot) {
    if (!isOpen(slot)) {
      throw new IllegalArgumentException("slot " + slot + " is not open");
    }
    open[slot] = false;
    options[slot] = null;
    randoms[slot] = null;
    rebuildOpenSlots();
  }

  private void rebuildOpenSlots() {
    openCount = 0;
    for (int s = 0; s < capacity; s++) {
      if (open[s]) {
        openSlots[openCount++] = s;
      }
    }
  }
}
