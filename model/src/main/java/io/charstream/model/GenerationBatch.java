package io.charstream.model;

import java.util.Arrays;

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
  private final SlotTable slots;
  private final int[] one = new int[1];

  public GenerationBatch(GenerationModel model, int capacity) {
    this(model, capacity, TopNSampler.INSTANCE);
  }

  public GenerationBatch(GenerationModel model, int capacity, Sampler sampler) {
    this.slots = new SlotTable(capacity);
    this.model = model;
    this.capacity = capacity;
    this.sampler = sampler;
    int hidden = model.hiddenSize();
    h = new float[model.numLayers()][capacity][hidden];
    c = new float[model.numLayers()][capacity][hidden];
    gates = new float[capacity][4 * hidden];
    logits = new float[capacity][model.vocabSize()];
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
    SlotTable.checkPrompt(promptIds, model.vocabSize());
    int slot = slots.lowestFree();
    for (int l = 0; l < model.numLayers(); l++) {
      Arrays.fill(h[l][slot], 0f);
      Arrays.fill(c[l][slot], 0f);
    }
    int[] nextInput = slots.nextInput();
    one[0] = slot;
    for (int t = 0; t < promptIds.length - 1; t++) {
      nextInput[slot] = promptIds[t];
      model.step(one, 1, nextInput, h, c, gates, null);
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
    model.step(open, openCount, nextInput, h, c, gates, logits);
    int vocab = model.vocabSize();
    for (int i = 0; i < openCount; i++) {
      int s = open[i];
      int id = slots.sample(sampler, s, logits[s], vocab);
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
    slots.close(slot);
  }
}
