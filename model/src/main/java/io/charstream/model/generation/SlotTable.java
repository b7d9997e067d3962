package io.charstream.model.generation;

import io.charstream.model.Sampler;
import io.charstream.model.SamplingOptions;
import java.util.SplittableRandom;

/**
 * The bookkeeping of a {@link GenerationStreams} batch: which slots are open, each slot's next
 * input id, sampling options and random source. The step kernel ({@code
 * fused.FusedGenerationBatch}) owns the LSTM state; this owns who is in the batch. Not thread-safe:
 * owned by the batch's thread.
 */
public final class SlotTable {

  private final int capacity;

  /** The id each slot feeds in its next step. */
  private final int[] nextInput;

  private final SamplingOptions[] options;
  private final SplittableRandom[] randoms;
  private final boolean[] open;

  /** Open slot indices, ascending; the first {@link #openCount()} entries are valid. */
  private final int[] openSlots;

  private int openCount;

  public SlotTable(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
    }
    this.capacity = capacity;
    nextInput = new int[capacity];
    options = new SamplingOptions[capacity];
    randoms = new SplittableRandom[capacity];
    open = new boolean[capacity];
    openSlots = new int[capacity];
  }

  /** Checks a prompt before priming: not empty, every id inside the vocabulary. */
  public static void checkPrompt(int[] promptIds, int vocabSize) {
    if (promptIds.length == 0) {
      throw new IllegalArgumentException("the prompt is empty: give at least one character");
    }
    for (int id : promptIds) {
      if (id < 0 || id >= vocabSize) {
        throw new IllegalArgumentException(
            "prompt id " + id + " is outside the vocabulary of " + vocabSize + " ids");
      }
    }
  }

  /** The lowest free slot (still closed: {@link #activate} opens it once primed). */
  public int lowestFree() {
    for (int s = 0; s < capacity; s++) {
      if (!open[s]) {
        return s;
      }
    }
    throw new IllegalStateException("all " + capacity + " slots are busy: close one first");
  }

  /**
   * The {@code count} lowest free slots, ascending: the slots {@code count} calls of {@link
   * #lowestFree} would give, each followed by {@link #activate}.
   */
  public int[] lowestFree(int count) {
    int[] out = new int[count];
    int n = 0;
    for (int s = 0; s < capacity && n < count; s++) {
      if (!open[s]) {
        out[n++] = s;
      }
    }
    if (n < count) {
      throw new IllegalStateException(
          count
              + " slots wanted but "
              + (capacity - n)
              + " of "
              + capacity
              + " are busy: close some first");
    }
    return out;
  }

  /**
   * Opens a primed slot: its first step feeds {@code firstInput}; its sampler is seeded from the
   * options.
   */
  public void activate(int slot, int firstInput, SamplingOptions samplingOptions) {
    nextInput[slot] = firstInput;
    options[slot] = samplingOptions;
    randoms[slot] = new SplittableRandom(samplingOptions.randomSeed());
    open[slot] = true;
    rebuildOpenSlots();
  }

  /** Frees a slot. */
  public void close(int slot) {
    if (!isOpen(slot)) {
      throw new IllegalArgumentException("slot " + slot + " is not open");
    }
    open[slot] = false;
    options[slot] = null;
    randoms[slot] = null;
    rebuildOpenSlots();
  }

  public int capacity() {
    return capacity;
  }

  public int openCount() {
    return openCount;
  }

  public int freeSlots() {
    return capacity - openCount;
  }

  public boolean isOpen(int slot) {
    return slot >= 0 && slot < capacity && open[slot];
  }

  /** Open slot indices, ascending (live array: read the first {@link #openCount()} entries). */
  public int[] openSlots() {
    return openSlots;
  }

  /** Next input id per slot (live array: kernels read it, priming and sampling write it). */
  public int[] nextInput() {
    return nextInput;
  }

  /** Samples slot {@code slot}'s next id from its logits with its own options and random source. */
  public int sample(Sampler sampler, int slot, float[] logits, int vocabSize) {
    return sampler.sample(logits, 0, vocabSize, options[slot], randoms[slot]);
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
