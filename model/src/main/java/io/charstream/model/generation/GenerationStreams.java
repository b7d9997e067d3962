package io.charstream.model.generation;

import io.charstream.model.SamplingOptions;
import io.charstream.model.Vocabulary;
import java.util.List;

/**
 * A batch of generation streams ("slots") that advance together, one character per {@link #step()}.
 * Each slot samples with its own random source, seeded from its {@link SamplingOptions}, and its
 * arithmetic does not depend on the other slots: a slot's text is the same whether it runs alone or
 * in a full batch, and whatever slots open or close beside it. Made by {@link
 * GenerationModel#newStreams}.
 *
 * <p>Not thread-safe: owned by one thread.
 */
public interface GenerationStreams {

  /**
   * Primes a free slot with the prompt: all ids but the last run through the network, and the last
   * is the input of the slot's first step, as the reference does.
   *
   * @return the slot index (the lowest free one)
   * @throws IllegalStateException when no slot is free
   * @throws IllegalArgumentException on an empty prompt or an id outside the vocabulary
   */
  int open(int[] promptIds, SamplingOptions options);

  /**
   * Primes several free slots at once, prompt i with options i: the same slots, states and texts as
   * calling {@link #open} for each in turn, but an implementation may run the prompts through the
   * network together (one batched step per prompt position), which costs about what the longest
   * prompt costs alone.
   *
   * @return the slot of each prompt, in order
   * @throws IllegalStateException when fewer slots are free than prompts are given (nothing is
   *     opened)
   * @throws IllegalArgumentException on an empty prompt, an id outside the vocabulary, or a count
   *     of options other than the count of prompts (nothing is opened)
   */
  default int[] openAll(List<int[]> promptIds, List<SamplingOptions> options) {
    if (promptIds.size() != options.size()) {
      throw new IllegalArgumentException(
          promptIds.size() + " prompts but " + options.size() + " sampling options");
    }
    if (promptIds.size() > freeSlots()) {
      throw new IllegalStateException(
          promptIds.size() + " prompts but only " + freeSlots() + " free slots");
    }
    int[] slots = new int[promptIds.size()];
    for (int i = 0; i < slots.length; i++) {
      slots[i] = open(promptIds.get(i), options.get(i));
    }
    return slots;
  }

  /**
   * Primes one prompt once and opens a slot per option from its state: each slot's state is a copy
   * of the primed one, with its own options and random source, so its text is the text that {@link
   * #open} of the same prompt with that option gives (several samples of one prompt, the prompt
   * read once). This default primes the prompt once per option.
   *
   * @return the slot of each option, in order
   * @throws IllegalStateException when fewer slots are free than options are given
   */
  default int[] openShared(int[] promptIds, List<SamplingOptions> options) {
    return openAll(java.util.Collections.nCopies(options.size(), promptIds), options);
  }

  /**
   * The logits (unnormalised log-probabilities, one per vocabulary id) that {@code slot}'s id of
   * the last {@link #step} was sampled from: a live row, valid until the next step. For
   * log-probabilities of generated text.
   *
   * @throws UnsupportedOperationException when the implementation does not keep them
   */
  default float[] lastLogits(int slot) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " keeps no logits");
  }

  /**
   * Advances every open slot by one character.
   *
   * @return the sampled id per slot ({@link #capacity()} entries; -1 for free slots)
   */
  int[] step();

  /**
   * Frees a slot (its state is discarded).
   *
   * @throws IllegalArgumentException when the slot is not open
   */
  void close(int slot);

  /** Slots in the batch, open or free. */
  int capacity();

  /** Slots open now. */
  int openCount();

  /** Slots free now: {@link #open} succeeds while this is positive. */
  default int freeSlots() {
    return capacity() - openCount();
  }

  /** The vocabulary of the ids this batch reads and samples. */
  Vocabulary vocabulary();
}
