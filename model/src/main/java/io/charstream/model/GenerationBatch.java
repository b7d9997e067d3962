package io.charstream.model;

/**
 * A table of generation slots that advance together, one character per {@link #step()}, in one
 * batched LSTM step. Each slot has its own random source seeded from its {@link SamplingOptions}, so a
 * slot's output does not depend on what else runs: batched output equals one-at-a-time output.
 * Not thread-safe: owned by one thread.
 */
public final class GenerationBatch {

  private final GenerationModel model;
  private final int capacity;

  public GenerationBatch(GenerationModel model, int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
    }
    this.model = model;
    this.capacity = capacity;
  }

  public GenerationModel model() {
    return model;
  }

  public int capacity() {
    return capacity;
  }

  /**
   * Primes a free slot with the prompt (all ids but the last run through the network; the last one is
   * the input of the slot's first step), as the reference does.
   *
   * @return the slot index
   * @throws IllegalStateException when no slot is free
   * @throws IllegalArgumentException on an empty prompt or an id outside the vocabulary
   */
  public int open(int[] promptIds, SamplingOptions options) {
    throw new UnsupportedOperationException("generation: not yet implemented");
  }

  public int freeSlots() {
    throw new UnsupportedOperationException("generation: not yet implemented");
  }

  public boolean isOpen(int slot) {
    throw new UnsupportedOperationException("generation: not yet implemented");
  }

  /**
   * Advances every open slot by one character.
   *
   * @return the sampled id per slot ({@code capacity} entries; -1 for free slots)
   */
  public int[] step() {
    throw new UnsupportedOperationException("generation: not yet implemented");
  }

  /** Frees a slot (its state is discarded). */
  public void close(int slot) {
    throw new UnsupportedOperationException("generation: not yet implemented");
  }
}
