package io.charstream.model.generation;

import io.charstream.model.Sampler;
import io.charstream.model.SamplingOptions;
import io.charstream.model.TopNSampler;
import io.charstream.model.Vocabulary;
import io.charstream.model.kernel.FusedRuntime;
import java.nio.IntBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link GenerationStreams} on {@link FusedStep}: a table of generation slots that advance
 * together, one character per {@link #step()}. Each slot has its own random source seeded from its
 * {@link SamplingOptions}, and a slot's arithmetic does not depend on the other slots, so batched
 * output equals one-at-a-time output. A step costs what its open slots cost: it runs only the open
 * slots, compacted ({@link SlotTable#openSlots()}), however large the capacity. With many open
 * slots a step runs on {@link FusedRuntime#threads()} threads ({@link FusedRuntime#runAll}: helpers
 * that spin briefly between steps), each advancing its share of the slots through every layer and
 * the sampler, with one join per step; the shares follow each thread's recent speed ({@link
 * #split}), so a thread that loses part of its core gets fewer slots. {@link #openAll} primes many
 * prompts the same way: one batched step (without the output layer) per prompt position over the
 * prompts that are still that long.
 *
 * <p>Memory is fixed by the capacity, never by how long a slot runs: the state
 * [layers][capacity][H] twice, logits [capacity][vocab], and per thread the scratch of its share of
 * the slots.
 *
 * <p>Not thread-safe: owned by one thread.
 */
public final class FusedGenerationBatch implements GenerationStreams {

  /** Below this many open slots per thread, one thread does the whole step. */
  static final int MIN_SLOTS_PER_THREAD = 8;

  private final FusedStep model;
  private final int capacity;
  private final Sampler sampler;
  private final FusedStep.StepState state;
  private final FusedStep.Scratch[] scratch;

  /** Per thread, its reusable share of a step. */
  private final Share[] shares;

  /** The most rows one share may take (its scratch's rows). */
  private final int shareRows;

  /**
   * Per thread, its rows per nanosecond over recent steps (a moving average, weight {@link
   * #SPEED_WEIGHT} per step, from its first measured step; 0 before it: an even split); {@link
   * #split} follows them.
   */
  private final double[] speed;

  /** Share boundaries of the step being run: share t steps rows [bounds[t], bounds[t + 1]). */
  private final int[] bounds;

  static final double SPEED_WEIGHT = 0.1;

  /** [slot][vocab] logits of the last step. */
  private final float[][] logits;

  private final SlotTable slots;

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
    shares = new Share[threads];
    // The most rows one share can get: with every thread busy, ceil(capacity / threads) and up to
    // half as much again when split() favours a faster thread; with fewer open slots, step() uses
    // fewer threads and a share holds up to 2 * MIN_SLOTS_PER_THREAD - 1 (more when uneven).
    shareRows =
        Math.min(
            capacity,
            Math.max(
                (3 * capacity + 2 * threads - 1) / (2 * threads), 4 * MIN_SLOTS_PER_THREAD - 1));
    speed = new double[threads];
    bounds = new int[threads + 1];
    for (int t = 0; t < threads; t++) {
      scratch[t] = new FusedStep.Scratch(model, shareRows);
      shares[t] = new Share(scratch[t]);
    }
    logits = new float[capacity][model.vocabSize()];
  }

  @Override
  public int capacity() {
    return capacity;
  }

  @Override
  public Vocabulary vocabulary() {
    return model.vocabulary();
  }

  @Override
  public int open(int[] promptIds, SamplingOptions samplingOptions) {
    return openAll(List.of(promptIds), List.of(samplingOptions))[0];
  }

  /**
   * Primes the prompts together: at position t one batched step, without the output layer, of the
   * slots whose prompt has more than t + 1 ids (all ids but the last run through the network; the
   * last is the slot's first input). Each slot's arithmetic is the same as priming it alone. Equal
   * prompts are primed once: the later ones copy the first one's state (as {@link #openShared} does
   * for the samples of one request), so a wave of requests with one prompt primes one row.
   */
  @Override
  public int[] openAll(List<int[]> promptIds, List<SamplingOptions> options) {
    int n = promptIds.size();
    if (n != options.size()) {
      throw new IllegalArgumentException(
          n + " prompts but " + options.size() + " sampling options");
    }
    int longest = 0;
    for (int[] prompt : promptIds) {
      SlotTable.checkPrompt(prompt, model.vocabSize());
      longest = Math.max(longest, prompt.length - 1);
    }
    int[] opened = slots.lowestFree(n);
    for (int slot : opened) {
      for (int l = 0; l < model.numLayers(); l++) {
        Arrays.fill(state.h[l][slot], 0f);
        Arrays.fill(state.c[l][slot], 0f);
      }
    }
    // [i] the first prompt equal to prompt i: only that one is primed, the others copy its state.
    int[] firstEqual = new int[n];
    Map<IntBuffer, Integer> seen = new HashMap<>(); // an IntBuffer equals another of equal ids
    for (int i = 0; i < n; i++) {
      Integer first = seen.putIfAbsent(IntBuffer.wrap(promptIds.get(i)), i);
      firstEqual[i] = first == null ? i : first;
    }
    int[] nextInput = slots.nextInput();
    // [count] the slots primed at position t, ascending.
    int[] priming = new int[n];
    for (int t = 0; t < longest; t++) {
      int count = 0;
      for (int i = 0; i < n; i++) {
        int[] prompt = promptIds.get(i);
        if (firstEqual[i] == i && prompt.length - 1 > t) {
          priming[count++] = opened[i];
          nextInput[opened[i]] = prompt[t];
        }
      }
      run(priming, count, null);
    }
    for (int i = 0; i < n; i++) {
      if (firstEqual[i] != i) {
        copyState(opened[firstEqual[i]], opened[i]);
      }
    }
    for (int i = 0; i < n; i++) {
      int[] prompt = promptIds.get(i);
      slots.activate(opened[i], prompt[prompt.length - 1], options.get(i));
    }
    return opened;
  }

  /**
   * Primes the prompt in one slot, then copies its state into the others: exactly the same state.
   */
  @Override
  public int[] openShared(int[] promptIds, List<SamplingOptions> options) {
    if (options.isEmpty()) {
      return new int[0];
    }
    if (options.size() > slots.freeSlots()) {
      throw new IllegalStateException(
          options.size() + " samples but only " + slots.freeSlots() + " free slots");
    }
    int[] opened = new int[options.size()];
    opened[0] = openAll(List.of(promptIds), options.subList(0, 1))[0];
    int[] others = slots.lowestFree(options.size() - 1);
    for (int i = 0; i < others.length; i++) {
      int slot = others[i];
      copyState(opened[0], slot);
      slots.activate(slot, promptIds[promptIds.length - 1], options.get(i + 1));
      opened[i + 1] = slot;
    }
    return opened;
  }

  /** Copies a primed slot's LSTM state into another slot: exactly the same state. */
  private void copyState(int from, int to) {
    for (int l = 0; l < model.numLayers(); l++) {
      System.arraycopy(state.h[l][from], 0, state.h[l][to], 0, state.h[l][to].length);
      System.arraycopy(state.c[l][from], 0, state.c[l][to], 0, state.c[l][to].length);
    }
  }

  @Override
  public float[] lastLogits(int slot) {
    return logits[slot];
  }

  @Override
  public int openCount() {
    return slots.openCount();
  }

  @Override
  public int[] step() {
    int[] sampled = new int[capacity];
    Arrays.fill(sampled, -1);
    int openCount = slots.openCount();
    if (openCount == 0) {
      return sampled;
    }
    int[] open = slots.openSlots();
    run(open, openCount, sampled);
    int[] nextInput = slots.nextInput();
    for (int i = 0; i < openCount; i++) {
      int slot = open[i];
      nextInput[slot] = sampled[slot];
    }
    return sampled;
  }

  /**
   * One batched step of slots {@code rows[0, count)}, split over the threads when there are enough
   * of them; samples into {@code sampled[slot]}, or, when {@code sampled} is null (priming), skips
   * the output layer and the sampler.
   */
  private void run(int[] rows, int count, int[] sampled) {
    int threads = Math.max(1, Math.min(scratch.length, count / MIN_SLOTS_PER_THREAD));
    if (threads == 1) {
      shares[0].set(rows, 0, count, sampled);
      shares[0].run();
      return;
    }
    split(speed, count, threads, shareRows, bounds);
    for (int t = 0; t < threads; t++) {
      shares[t].set(rows, bounds[t], bounds[t + 1], sampled);
    }
    FusedRuntime.runAll(threads == shares.length ? shares : Arrays.copyOf(shares, threads));
    if (sampled != null) {
      for (int t = 0; t < threads; t++) {
        Share share = shares[t];
        double rowsPerNano = (share.to - share.from) / (double) Math.max(1, share.nanos);
        speed[t] =
            speed[t] == 0
                ? rowsPerNano
                : (1 - SPEED_WEIGHT) * speed[t] + SPEED_WEIGHT * rowsPerNano;
      }
    }
  }

  /**
   * Cuts {@code count} rows into {@code threads} shares, each in proportion to its thread's recent
   * speed ({@link #speed}), into {@code bounds[0..threads]}: the thread that lost part of its core
   * (to the Kafka clients, a broker, the JIT) gets fewer rows, so the threads finish together
   * instead of one waiting at the join for the other. Each share stays within [1, {@link
   * #shareRows}], else (an extreme reading, or a thread not measured yet) the rows are cut evenly.
   * Which thread steps a row never changes its arithmetic.
   */
  static void split(double[] speed, int count, int threads, int shareRows, int[] bounds) {
    double total = 0;
    for (int t = 0; t < threads; t++) {
      total += speed[t];
    }
    bounds[0] = 0;
    double sum = 0;
    boolean even = !(total > 0);
    for (int t = 0; t < threads && !even; t++) {
      sum += speed[t];
      bounds[t + 1] = t == threads - 1 ? count : (int) Math.round(count * sum / total);
      int rows = bounds[t + 1] - bounds[t];
      even = rows < 1 || rows > shareRows;
    }
    if (even) {
      for (int t = 0; t <= threads; t++) {
        bounds[t] = count * t / threads;
      }
    }
  }

  /**
   * One thread's share of a step: slots rows[from, to) through the network and the sampler (or,
   * priming, through the LSTM layers only).
   */
  private final class Share implements Runnable {
    private final FusedStep.Scratch scratch;
    private int[] rows;
    private int from;
    private int to;
    private int[] sampled;

    /** Nanoseconds its last run took. */
    private long nanos;

    Share(FusedStep.Scratch scratch) {
      this.scratch = scratch;
    }

    void set(int[] rows, int from, int to, int[] sampled) {
      this.rows = rows;
      this.from = from;
      this.to = to;
      this.sampled = sampled;
    }

    @Override
    public void run() {
      long start = System.nanoTime();
      if (sampled == null) {
        model.step(state, rows, from, to, slots.nextInput(), null, scratch);
      } else {
        model.step(state, rows, from, to, slots.nextInput(), logits, scratch);
        int vocab = model.vocabSize();
        for (int i = from; i < to; i++) {
          int slot = rows[i];
          sampled[slot] = slots.sample(sampler, slot, logits[slot], vocab);
        }
      }
      nanos = System.nanoTime() - start;
    }
  }

  @Override
  public void close(int slot) {
    slots.close(slot);
  }
}
