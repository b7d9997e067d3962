package io.charstream.generator;

import io.charstream.model.SamplingOptions;
import io.charstream.model.Vocabulary;
import io.charstream.model.generation.GenerationStreams;
import java.util.ArrayList;
import java.util.List;

/**
 * A deterministic slot engine for scheduler tests: slot output depends only on its own seed and
 * step count ("a".."z" cycling from seed % 26), never on the other slots, like the real batch.
 */
final class FakeEngine implements GenerationStreams {
  private final Vocabulary vocabulary = Vocabulary.reference();
  private final long[] seed;
  private final int[] count;
  private final boolean[] open;
  int steps;
  int maxOpen;

  /** Calls of {@link #openAll} and the prompts each primed. */
  final List<Integer> primedTogether = new ArrayList<>();

  FakeEngine(int capacity) {
    seed = new long[capacity];
    count = new int[capacity];
    open = new boolean[capacity];
  }

  @Override
  public int open(int[] promptIds, SamplingOptions options) {
    for (int s = 0; s < open.length; s++) {
      if (!open[s]) {
        open[s] = true;
        seed[s] = options.randomSeed();
        count[s] = 0;
        maxOpen = Math.max(maxOpen, openCount());
        return s;
      }
    }
    throw new IllegalStateException("no free slot");
  }

  @Override
  public int[] openAll(List<int[]> promptIds, List<SamplingOptions> options) {
    primedTogether.add(promptIds.size());
    return GenerationStreams.super.openAll(promptIds, options);
  }

  @Override
  public int[] step() {
    steps++;
    int[] ids = new int[open.length];
    for (int s = 0; s < open.length; s++) {
      ids[s] = open[s] ? vocabulary.id('a' + (int) ((seed[s] + count[s]++) % 26)) : -1;
    }
    return ids;
  }

  @Override
  public void close(int slot) {
    if (!open[slot]) {
      throw new IllegalStateException("slot " + slot + " is not open");
    }
    open[slot] = false;
  }

  @Override
  public int capacity() {
    return open.length;
  }

  @Override
  public int openCount() {
    int n = 0;
    for (boolean o : open) {
      n += o ? 1 : 0;
    }
    return n;
  }

  @Override
  public Vocabulary vocabulary() {
    return vocabulary;
  }

  /** The text a slot with {@code seed} produces in {@code n} steps. */
  static String expected(long seed, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append((char) ('a' + (int) ((seed + i) % 26)));
    }
    return sb.toString();
  }
}
