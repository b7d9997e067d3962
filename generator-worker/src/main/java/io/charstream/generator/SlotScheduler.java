package io.charstream.generator;

import io.charstream.generator.LoadedModel.ModelKey;
import io.charstream.model.SamplingOptions;
import io.charstream.model.Vocabulary;
import io.charstream.model.generation.GenerationStreams;
import io.charstream.schemas.message.GenerateResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.kafka.common.TopicPartition;

/**
 * Continuous batching: a table of {@code capacity} slots shared by every running request. A slot is
 * one row of a batch (the word used throughout the generator). Each {@link #step} advances all
 * running requests of a model version together in one batched step; a finished request frees its
 * slot at once, and {@link #fill} primes queued requests into free slots while the others keep
 * running.
 *
 * <p>Requests normally all run on one model version (one batch). A request pinned to another
 * version, or started before a newer version arrived, runs in that version's own batch until it
 * finishes; the slot count over all batches never exceeds {@code capacity}. Owned by the worker
 * thread; not thread-safe.
 */
final class SlotScheduler {

  /**
   * Makes the batch of a model version; the scheduler makes one per version it runs. The product
   * uses {@link LoadedModel#newStreams} (the model's own batched generation); scheduler unit tests
   * use a small deterministic one.
   */
  @FunctionalInterface
  interface Batches {
    GenerationStreams create(LoadedModel model, int capacity);
  }

  /** What {@link #fill} needs from the worker: the model and prompt ids of a job, or why not. */
  @FunctionalInterface
  interface Preparer {
    /** {@link Job#prepare}s the job and returns READY, or says why it can't ({@link Job#fail}). */
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

  /**
   * One model version's batch, the job in each of its slots (null: free) and which of the job's
   * samples the slot runs (a job with n samples has n slots).
   */
  private static final class Batch {
    final GenerationStreams slots;
    final Job[] jobs;
    final int[] sampleOf;
    int active;

    Batch(GenerationStreams slots) {
      this.slots = slots;
      this.jobs = new Job[slots.capacity()];
      this.sampleOf = new int[slots.capacity()];
    }
  }

  private final int capacity;
  private final Batches batchFactory;
  private final int primeCharBudget;
  private final AdmissionQueue queue;
  private final Map<ModelKey, Batch> batches = new LinkedHashMap<>();
  private int active;

  /**
   * @param capacity slots over all batches (1 = no batching)
   * @param primeCharBudget prompt chars primed per {@link #fill} (at least one job is always
   *     primed), so priming many long prompts cannot hold up the steps and the consumer's polling
   *     for long
   */
  SlotScheduler(int capacity, Batches batchFactory, int primeCharBudget) {
    this(capacity, batchFactory, primeCharBudget, AdmissionQueue.DEFAULT_BATCH_EVERY);
  }

  /**
   * @param batchEvery while batch requests wait, at least one of this many admissions goes to one
   *     ({@link AdmissionQueue})
   */
  SlotScheduler(int capacity, Batches batchFactory, int primeCharBudget, int batchEvery) {
    this.queue = new AdmissionQueue(batchEvery);
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
    }
    this.capacity = capacity;
    this.batchFactory = batchFactory;
    this.primeCharBudget = primeCharBudget;
  }

  void enqueue(Job job) {
    queue.add(job);
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

  /**
   * Steps until the first running job reaches its length (it may finish sooner, on a stop string);
   * {@link Integer#MAX_VALUE} when none runs.
   */
  int stepsToNextFinish() {
    int soonest = Integer.MAX_VALUE;
    for (Batch batch : batches.values()) {
      if (batch.active == 0) {
        continue;
      }
      for (Job j : batch.jobs) {
        if (j != null) {
          soonest = Math.min(soonest, j.spec().length() - j.steps());
        }
      }
    }
    return soonest;
  }

  /** How many running jobs reach their length within {@code steps} steps. */
  int countFinishingWithin(int steps) {
    return finishingWithin(steps).size();
  }

  /** Running jobs that reach their length within {@code steps} steps. */
  List<Job> finishingWithin(int steps) {
    List<Job> out = new ArrayList<>();
    for (Batch batch : batches.values()) {
      for (int s = 0; s < batch.jobs.length; s++) {
        Job j = batch.jobs[s];
        if (j != null && batch.sampleOf[s] == 0 && j.spec().length() - j.steps() <= steps) {
          out.add(j);
        }
      }
    }
    return out;
  }

  /** Running jobs (for chunking); a snapshot. */
  List<Job> running() {
    Set<Job> out = new LinkedHashSet<>();
    for (Batch batch : batches.values()) {
      for (Job j : batch.jobs) {
        if (j != null) {
          out.add(j); // a job with several samples holds several slots
        }
      }
    }
    return new ArrayList<>(out);
  }

  /**
   * Primes queued jobs into free slots, interactive ones first, in arrival order per priority
   * ({@link AdmissionQueue}), skipping jobs whose model is loading. The jobs taken for one model
   * version are primed together ({@link GenerationStreams#openAll}: one batched step per prompt
   * position), so a wave of new requests costs about what its longest prompt costs, not the sum of
   * its prompts.
   */
  Filled fill(Preparer preparer, long nowNanos) {
    List<Job> started = new ArrayList<>();
    List<Job> failed = new ArrayList<>();
    Map<ModelKey, List<Job>> taken = new LinkedHashMap<>();
    long primed = 0;
    int free = capacity - active;
    int takenSlots = 0;
    for (Iterator<Job> it = queue.candidates(); it.hasNext() && takenSlots < free; ) {
      if (!started.isEmpty() && primed >= primeCharBudget) {
        break;
      }
      Job job = it.next();
      if (takenSlots + job.spec().n() > free) {
        break; // it waits for enough slots; the requests behind it wait behind it
      }
      Readiness r = job.prepared() ? Readiness.READY : preparer.prepare(job);
      if (r == Readiness.WAIT) {
        continue;
      }
      it.remove();
      if (r == Readiness.FAILED) {
        failed.add(job);
        continue;
      }
      queue.admitted(job);
      taken.computeIfAbsent(job.model().key(), k -> new ArrayList<>()).add(job);
      primed += job.promptIds().length;
      takenSlots += job.spec().n();
      started.add(job);
    }
    for (List<Job> jobs : taken.values()) {
      LoadedModel model = jobs.get(0).model();
      Batch batch =
          batches.computeIfAbsent(
              model.key(), k -> new Batch(batchFactory.create(model, capacity)));
      List<Job> single = new ArrayList<>(jobs.size());
      List<int[]> prompts = new ArrayList<>(jobs.size());
      List<SamplingOptions> options = new ArrayList<>(jobs.size());
      for (Job job : jobs) {
        if (job.spec().n() == 1) {
          single.add(job);
          prompts.add(job.promptIds());
          options.add(job.spec().sampling());
        }
      }
      int[] slots = batch.slots.openAll(prompts, options);
      for (int i = 0; i < slots.length; i++) {
        place(batch, single.get(i), new int[] {slots[i]}, nowNanos);
      }
      // Several samples: the prompt primed once, its state copied to each sample's slot.
      for (Job job : jobs) {
        if (job.spec().n() > 1) {
          List<SamplingOptions> samples = new ArrayList<>(job.spec().n());
          for (int i = 0; i < job.spec().n(); i++) {
            samples.add(job.spec().sampling(i));
          }
          place(batch, job, batch.slots.openShared(job.promptIds(), samples), nowNanos);
        }
      }
    }
    return new Filled(started, failed);
  }

  private void place(Batch batch, Job job, int[] slots, long nowNanos) {
    job.start(slots, nowNanos);
    for (int i = 0; i < slots.length; i++) {
      batch.jobs[slots[i]] = job;
      batch.sampleOf[slots[i]] = i;
      batch.active++;
      active++;
    }
  }

  /**
   * One batched step of every batch that has running jobs; finished samples leave their slots, and
   * a job whose samples have all finished is returned.
   */
  Stepped step(long nowNanos) {
    List<Job> finished = new ArrayList<>();
    int chars = 0;
    int occupied = active;
    for (Batch batch : batches.values()) {
      if (batch.active == 0) {
        continue;
      }
      int[] ids = batch.slots.step();
      Vocabulary vocabulary = batch.slots.vocabulary();
      for (int s = 0; s < batch.jobs.length; s++) {
        Job job = batch.jobs[s];
        if (job == null) {
          continue;
        }
        chars++;
        int top = job.spec().logprobs();
        GenerateResponse.CharLogprob logprob =
            top == 0 ? null : Logprobs.of(batch.slots.lastLogits(s), ids[s], top, vocabulary);
        if (job.append(batch.sampleOf[s], vocabulary.decode(ids[s]), logprob, nowNanos)) {
          free(batch, s);
          if (job.finished()) {
            finished.add(job);
          }
        }
      }
    }
    dropIdleBatches();
    return new Stepped(finished, chars, occupied);
  }

  /**
   * Cancels the queued or running jobs with {@code requestId} read from {@code source} before
   * {@code offset} (a tombstone's position: it cancels only what came before it): each leaves its
   * slot at once and ends {@link Job.Finish#CANCELLED} with its text so far. Returns them (none for
   * a request that is unknown here or already finished).
   */
  List<Job> cancel(String requestId, TopicPartition source, long offset, long nowNanos) {
    List<Job> cancelled =
        remove(
            j ->
                j.requestId().equals(requestId)
                    && j.source().equals(source)
                    && j.offset() < offset);
    for (Job job : cancelled) {
      job.end(Job.Finish.CANCELLED, nowNanos);
    }
    return cancelled;
  }

  /** The result of {@link #expire}. */
  record Expired(List<Job> queued, List<Job> running) {}

  /**
   * Takes out the jobs whose deadline passed: queued ones past their queue deadline (to be answered
   * deadline-exceeded, without work) and running ones past their timeoutMs, which leave their slot
   * and end {@link Job.Finish#DEADLINE} with their text so far. Costs one comparison per job.
   */
  Expired expire(long nowNanos) {
    List<Job> queued = queue.removeIf(job -> job.queueExpired(nowNanos));
    List<Job> running = new ArrayList<>();
    if (active > 0) {
      freeSlotsOf(job -> job.runExpired(nowNanos), running);
      if (!running.isEmpty()) {
        dropIdleBatches();
      }
      for (Job job : running) {
        job.end(Job.Finish.DEADLINE, nowNanos);
      }
    }
    return new Expired(queued, running);
  }

  /** Removes matching jobs, queued or running, without finishing them (their partition moved). */
  List<Job> remove(Predicate<Job> which) {
    List<Job> removed = queue.removeIf(which);
    freeSlotsOf(which, removed);
    dropIdleBatches();
    return removed;
  }

  /** Frees the slots of the running jobs that match, and adds each such job to {@code into}. */
  private void freeSlotsOf(Predicate<Job> which, List<Job> into) {
    for (Batch batch : batches.values()) {
      for (int s = 0; s < batch.jobs.length; s++) {
        Job job = batch.jobs[s];
        if (job != null && which.test(job)) {
          free(batch, s);
          if (!into.contains(job)) {
            into.add(job); // once, however many samples (slots) it had
          }
        }
      }
    }
  }

  private void free(Batch batch, int slot) {
    batch.slots.close(slot);
    batch.jobs[slot].leaveSlot(batch.sampleOf[slot]);
    batch.jobs[slot] = null;
    batch.active--;
    active--;
  }

  /**
   * Keeps only the most recently created idle batch (normally the latest model's), so an old
   * version's batch and its weights go once its last request finishes.
   */
  private void dropIdleBatches() {
    ModelKey newest = null;
    for (Map.Entry<ModelKey, Batch> e : batches.entrySet()) {
      newest = e.getKey();
    }
    for (Iterator<Map.Entry<ModelKey, Batch>> it = batches.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<ModelKey, Batch> e = it.next();
      if (e.getValue().active == 0 && !e.getKey().equals(newest)) {
        it.remove();
      }
    }
  }

  /** Number of batches (model versions) held (for tests and metrics). */
  int batches() {
    return batches.size();
  }
}
