package io.charstream.generator;

import io.charstream.generator.LoadedModel.ModelKey;
import io.charstream.model.generation.GenerationStreams;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Continuous batching: a table of {@code capacity} slots shared by every running request. Each
 * {@link #step} advances all running requests of a model version together in one batched step; a
 * finished request frees its slot at once, and {@link #fill} primes queued requests into free slots
 * while the others keep running.
 *
 * <p>Requests normally all run on one model version (one engine). A request pinned to another
 * version, or started before a newer version arrived, runs in that version's own engine until it
 * finishes; the slot count over all engines never exceeds {@code capacity}. Owned by the worker
 * thread; not thread-safe.
 */
final class SlotScheduler {

  /**
   * Makes the engine of a model version; the scheduler opens one per version it runs. The product
   * uses {@link LoadedModel#newStreams} (the model's own batched generation); scheduler unit tests
   * use a small deterministic engine.
   */
  @FunctionalInterface
  interface Engines {
    GenerationStreams create(LoadedModel model, int capacity);
  }

  /** What {@link #fill} needs from the worker: the model and prompt ids of a job, or why not. */
  @FunctionalInterface
  interface Preparer {
    /** Sets {@code job.model} and {@code job.promptIds} and returns READY, or says why it can't. */
    Readiness prepare(Job job);
  }

  enum Readiness {
    READY,
    /** The model is still loading: the job stays queued. */
    WAIT,
    /** The job can never run (the preparer has recorded why): it leaves the queue. */
    FAILED
  }

  /** The result of one call to {@link #fill}. */
  record Filled(List<Job> started, List<Job> failed) {}

  /** The result of one call to {@link #step}. */
  record Stepped(List<Job> finished, int charsGenerated, int activeSlots) {}

  /** One model version's engine and the jobs in its slots. */
  private static final class Lane {
    final GenerationStreams engine;
    final Job[] slots;
    int active;

    Lane(GenerationStreams engine) {
      this.engine = engine;
      this.slots = new Job[engine.capacity()];
    }
  }

  private final int capacity;
  private final Engines engines;
  private final int primeCharBudget;
  private final Deque<Job> queue = new ArrayDeque<>();
  private final Map<ModelKey, Lane> lanes = new LinkedHashMap<>();
  private int active;

  /**
   * @param capacity slots over all engines (1 = no batching)
   * @param primeCharBudget prompt chars primed per {@link #fill} (at least one job is always
   *     primed), so priming many long prompts cannot hold up the steps and the consumer's polling
   *     for long
   */
  SlotScheduler(int capacity, Engines engines, int primeCharBudget) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
    }
    this.capacity = capacity;
    this.engines = engines;
    this.primeCharBudget = primeCharBudget;
  }

  void enqueue(Job job) {
    queue.addLast(job);
  }

  int queued() {
    return queue.size();
  }

  int active() {
    return active;
  }

  int capacity() {
    return capacity;
  }

  boolean idle() {
    return active == 0 && queue.isEmpty();
  }

  /** Running jobs (for chunking); a snapshot. */
  List<Job> running() {
    List<Job> out = new ArrayList<>(active);
    for (Lane lane : lanes.values()) {
      for (Job j : lane.slots) {
        if (j != null) {
          out.add(j);
        }
      }
    }
    return out;
  }

  /** Primes queued jobs into free slots, in arrival order, skipping jobs whose model is loading. */
  Filled fill(Preparer preparer, long nowNanos) {
    List<Job> started = new ArrayList<>();
    List<Job> failed = new ArrayList<>();
    long primed = 0;
    for (Iterator<Job> it = queue.iterator(); it.hasNext() && active < capacity; ) {
      if (!started.isEmpty() && primed >= primeCharBudget) {
        break;
      }
      Job job = it.next();
      Readiness r = job.model != null ? Readiness.READY : preparer.prepare(job);
      if (r == Readiness.WAIT) {
        continue;
      }
      it.remove();
      if (r == Readiness.FAILED) {
        failed.add(job);
        continue;
      }
      Lane lane =
          lanes.computeIfAbsent(
              job.model.key(), k -> new Lane(engines.create(job.model, capacity)));
      job.slot = lane.engine.open(job.promptIds, job.spec.sampling());
      job.startedNanos = nowNanos;
      lane.slots[job.slot] = job;
      lane.active++;
      active++;
      primed += job.promptIds.length;
      started.add(job);
    }
    return new Filled(started, failed);
  }

  /** One batched step of every engine that has running jobs; finished jobs leave their slots. */
  Stepped step(long nowNanos) {
    List<Job> finished = new ArrayList<>();
    int chars = 0;
    int occupied = active;
    for (Iterator<Lane> it = lanes.values().iterator(); it.hasNext(); ) {
      Lane lane = it.next();
      if (lane.active == 0) {
        continue;
      }
      int[] ids = lane.engine.step();
      for (int s = 0; s < lane.slots.length; s++) {
        Job job = lane.slots[s];
        if (job == null) {
          continue;
        }
        chars++;
        if (job.append(lane.engine.vocabulary().decode(ids[s]), nowNanos)) {
          free(lane, s);
          finished.add(job);
        }
      }
    }
    dropIdleLanes();
    return new Stepped(finished, chars, occupied);
  }

  /** Removes matching jobs, queued or running, without finishing them (their partition moved). */
  List<Job> remove(Predicate<Job> which) {
    List<Job> removed = new ArrayList<>();
    for (Iterator<Job> it = queue.iterator(); it.hasNext(); ) {
      Job job = it.next();
      if (which.test(job)) {
        it.remove();
        removed.add(job);
      }
    }
    for (Lane lane : lanes.values()) {
      for (int s = 0; s < lane.slots.length; s++) {
        Job job = lane.slots[s];
        if (job != null && which.test(job)) {
          free(lane, s);
          removed.add(job);
        }
      }
    }
    dropIdleLanes();
    return removed;
  }

  private void free(Lane lane, int slot) {
    lane.engine.close(slot);
    lane.slots[slot].slot = -1;
    lane.slots[slot] = null;
    lane.active--;
    active--;
  }

  /**
   * Keeps only the most recently created idle engine (normally the latest model's), so an old
   * version's engine and its weights go once its last request finishes.
   */
  private void dropIdleLanes() {
    ModelKey newest = null;
    for (Map.Entry<ModelKey, Lane> e : lanes.entrySet()) {
      newest = e.getKey();
    }
    for (Iterator<Map.Entry<ModelKey, Lane>> it = lanes.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<ModelKey, Lane> e = it.next();
      if (e.getValue().active == 0 && !e.getKey().equals(newest)) {
        it.remove();
      }
    }
  }

  /** Number of engines held (for tests and metrics). */
  int engines() {
    return lanes.size();
  }
}
