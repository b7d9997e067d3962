package io.charstream.generator;

import io.charstream.model.GenerationBatch;
import io.charstream.model.SamplingOptions;
import io.charstream.model.Vocabulary;

/**
 * The seam between the scheduler and the network: a table of slots stepped together. The product
 * uses {@link #of(LoadedModel, int)} (the model's {@link GenerationBatch}, so a faster batch step in
 * the model module arrives here unchanged); scheduler unit tests use a small deterministic engine.
 * Not thread-safe: owned by the worker thread.
 */
interface SlotEngine {

  /** Primes a free slot with {@code promptIds}; returns the slot index. */
  int open(int[] promptIds, SamplingOptions options);

  /** Advances every open slot by one character: the sampled id per slot, -1 for free slots. */
  int[] step();

  void close(int slot);

  int capacity();

  Vocabulary vocabulary();

  /** Makes engines for model versions; the scheduler opens one per version it runs. */
  @FunctionalInterface
  interface Factory {
    SlotEngine create(LoadedModel model, int capacity);
  }

  /** An engine backed by the model's own batched generation. */
  static SlotEngine of(LoadedModel model, int capacity) {
    GenerationBatch batch = new GenerationBatch(model.model(), capacity);
    Vocabulary vocabulary = model.model().vocabulary();
    return new SlotEngine() {
      @Override
      public int open(int[] promptIds, SamplingOptions options) {
        return batch.open(promptIds, options);
      }

      @Override
      public int[] step() {
        return batch.step();
      }

      @Override
      public void close(int slot) {
        batch.close(slot);
      }

      @Override
      public int capacity() {
        return batch.capacity();
      }

      @Override
      public Vocabulary vocabulary() {
        return vocabulary;
      }
    };
  }
}
