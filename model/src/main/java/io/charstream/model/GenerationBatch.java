package io.charstream.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A table of generation slots that advance together, one character per {@link #step()}, in one
 * batched LSTM step. Each slot has its own random source seeded from its {@link SamplingOptions}, so a
 * slot's output does not depend on what else runs: batched output equals one-at-a-time output.
 * Not thread-safe: owned by one thread.
 */
public final class GenerationBatch {

  private final GenerationModel model;
  private final int capacity;
  private final Sampler sampler;
  /** Per layer, per slot: [H] hidden and cell state. */
  private final float[][][] h;
  private final float[][][] c;
  /** Scratch per slot: [4H] gate pre-activations. */
  private final float[][] gates;
  /** Per slot: [vocab] logits of the last step. */
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

  public GenerationBatch(GenerationModel model, int capacity) {
    this(model, capacity, TopNSampler.INSTANCE);
  }

  public GenerationBatch(GenerationModel model, int capacity, Sampler sampler) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
    }
    this.model = model;
    this.capacity = capacity;
    this.sampler = sampler;
    int hidden = model.hiddenSize();
    h = new float[model.numLayers()][capacity][hidden];
    c = new float[model.numLayers()][capacity][hidden];
    gates = new float[capacity][4 * hidden];
    logits = new float[capacity][model.vocabSize()];
    nextInput = new int[capacity];
    options = new SamplingOptions[capacity];
    randoms = new SplittableRandom[capacity];
    open = new boolean[capacity];
    openSlots = new int[capacity];
  }

  public GenerationModel model() {
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
      Arrays.fill(h[l][slot], 0f);
      Arrays.fill(c[l][slot], 0f);
    }
    one[0] = slot;
    for (int t = 0; t < promptIds.length - 1; t++) {
      nextInput[slot] = promptIds[t];
      model.step(one, 1, nextInput, h, c, gates, null);
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
    model.step(openSlots, openCount, nextInput, h, c, gates, logits);
    int vocab = model.vocabSize();
    for (int i = 0; i < openCount; i++) {
      int s = openSlots[i];
      int id = sampler.sample(logits[s], 0, vocab, options[s], randoms[s]);
      sampled[s] = id;
      nextInput[s] = id;
    }
    return sampled;
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
