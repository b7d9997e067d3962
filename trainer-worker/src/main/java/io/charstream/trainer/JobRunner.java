package io.charstream.trainer;

import io.charstream.model.Checkpoint;
import io.charstream.model.Metrics;
import io.charstream.model.ModelConfig;
import io.charstream.model.TrainingConfig;
import io.charstream.model.TrainingDivergedException;
import io.charstream.model.TrainingResult;
import io.charstream.model.Vocabulary;
import io.charstream.model.training.CharRnnTrainer;
import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.schemas.message.CorpusManifest;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.TrainingStatus;
import io.charstream.trainer.corpus.CorpusReader;
import io.charstream.trainer.request.Rejection;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one job on the calling (executor) thread: skip it if it already ended, validate it, find its
 * corpus, start it or resume it from its latest training state, train, and publish how it ended.
 */
final class JobRunner {
  private static final Logger LOG = LoggerFactory.getLogger(JobRunner.class);
  private static final long CANCEL_CHECK_NANOS = Duration.ofMillis(500).toNanos();

  /** What the polling thread does with the job's request record. */
  enum Outcome {
    /** The job ended (or was rejected): commit its offset. */
    DONE,
    /** The job stopped for a handover or a transient Kafka error: leave the offset for a resume. */
    RESUME_LATER
  }

  private final TrainerConfig config;
  private final JobTables tables;
  private final CorpusReader corpora;
  private final TrainingStates states;
  private final Statuses statuses;
  private final RequestPolicy policy;
  private final TrainerMetrics metrics;

  JobRunner(
      TrainerConfig config,
      JobTables tables,
      CorpusReader corpora,
      TrainingStates states,
      Statuses statuses) {
    this.config = config;
    this.tables = tables;
    this.corpora = corpora;
    this.states = states;
    this.statuses = statuses;
    this.policy =
        new RequestPolicy(
            config.limits(),
            RequestPolicy.heapPerJob(Runtime.getRuntime().maxMemory(), config.maxConcurrentJobs()));
    this.metrics = statuses.metrics();
  }

  Outcome run(Job job, JobControl control) {
    TrainingRequest r = job.request();
    metrics.jobEntered();
    try {
      return runChecked(job, control);
    } catch (KafkaException e) {
      LOG.warn(
          "job {}: Kafka error, the job will resume from its last saved state: {}",
          r.jobId(),
          e.toString());
      metrics.error("kafka");
      metrics.job("stopped");
      return Outcome.RESUME_LATER;
    } catch (RuntimeException e) {
      LOG.error("job {} failed", r.jobId(), e);
      String kind = e instanceof TrainingDivergedException ? "diverged" : "internal";
      metrics.error(kind);
      statuses.failed(r, kind, e.getClass().getSimpleName() + ": " + e.getMessage());
      return Outcome.DONE;
    } finally {
      metrics.jobLeft();
    }
  }

  private Outcome runChecked(Job job, JobControl control) {
    TrainingRequest r = job.request();
    Optional<TrainingStatus> prior = tables.job(r.jobId());
    if (prior.isPresent() && prior.get().terminal()) {
      LOG.info("job {} already ended ({}); not running it again", r.jobId(), prior.get().type());
      return Outcome.DONE;
    }
    if (tables.cancel(r.jobId()).isPresent()) {
      statuses.cancelled(r, tables.cancel(r.jobId()).get().reason(), null, 0);
      return Outcome.DONE;
    }
    Prepared prepared;
    try {
      prepared = prepare(r, control);
    } catch (Rejection rejection) {
      LOG.info("job {} rejected: {}", r.jobId(), rejection.getMessage());
      metrics.error("job-rejected");
      statuses.rejected(r, rejection.getMessage(), rejection.field());
      return Outcome.DONE;
    }
    if (prepared == null) { // handed over while waiting for the corpus
      metrics.job("stopped");
      return Outcome.RESUME_LATER;
    }
    if (prepared.ended() != null) {
      announceEnd(r, prepared.ended());
      return Outcome.DONE;
    }

    statuses.accepted(r, prepared.resumedFrom());
    LOG.info(
        "job {} {} model {} on corpus {}",
        r.jobId(),
        prepared.resumedFrom() == null ? "starts" : "resumes",
        r.modelId(),
        r.corpusId());
    try (JobMeters meters =
        metrics.job(
            r.modelId(),
            prepared.charsPerStep(),
            prepared.resumedFrom() == null ? 0 : prepared.resumedFrom().globalStep(),
            statuses.now())) {
      return train(r, prepared, control, meters);
    }
  }

  private Outcome train(
      TrainingRequest r, Prepared prepared, JobControl control, JobMeters meters) {
    JobListener listener =
        new JobListener(r, statuses, prepared.version(), prepared.elapsedBefore(), meters);
    long[] lastCheck = {System.nanoTime()};
    boolean[] cancelled = {false};
    TrainingResult result =
        prepared
            .trainer()
            .run(
                listener,
                () -> {
                  if (control.handoverRequested()) return true;
                  long now = System.nanoTime();
                  if (now - lastCheck[0] >= CANCEL_CHECK_NANOS) {
                    lastCheck[0] = now;
                    try {
                      cancelled[0] = tables.cancel(r.jobId()).isPresent();
                    } catch (KafkaException e) {
                      LOG.debug(
                          "cancel check skipped: {}",
                          e.getMessage()); // asked again in half a second
                    }
                  }
                  return cancelled[0];
                });
    if (result.cancelled() && !cancelled[0]) {
      listener.saveState(result.checkpoint());
      LOG.info("job {} handed over at {}", r.jobId(), result.checkpoint().position());
      metrics.job("stopped");
      return Outcome.RESUME_LATER;
    }
    if (result.cancelled()) {
      listener.publishFinal(result.checkpoint());
      String reason = tables.cancel(r.jobId()).map(c -> c.reason()).orElse(null);
      statuses.cancelled(
          r, reason, listener.lastPublishedVersion(), result.checkpoint().position().epoch());
      LOG.info("job {} cancelled at {}", r.jobId(), result.checkpoint().position());
      return Outcome.DONE;
    }
    if (listener.lastPublishedVersion() == 0)
      listener.publishFinal(result.checkpoint()); // resumed at the very end
    listener.completed(result.checkpoint().position().epoch());
    LOG.info(
        "job {} completed: model {} v{}", r.jobId(), r.modelId(), listener.lastPublishedVersion());
    return Outcome.DONE;
  }

  /**
   * A trainer ready to run, and where it starts; or, with {@code ended}, a job whose final
   * checkpoint exists.
   */
  private record Prepared(
      CharRnnTrainer trainer,
      TrainingStatus.ResumePoint resumedFrom,
      long version,
      double elapsedBefore,
      long charsPerStep,
      CheckpointEvent ended) {
    Prepared(
        CharRnnTrainer trainer,
        TrainingStatus.ResumePoint resumedFrom,
        long version,
        double elapsedBefore,
        TrainingConfig tc) {
      this(trainer, resumedFrom, version, elapsedBefore, (long) tc.batchSize() * tc.seqLen(), null);
    }

    static Prepared ended(CheckpointEvent last) {
      return new Prepared(null, null, last.version(), 0, 0, last);
    }
  }

  /**
   * Publishes the end a worker reached but could not announce (it died right after its last
   * checkpoint).
   */
  private void announceEnd(TrainingRequest r, CheckpointEvent last) {
    LOG.info(
        "job {} had already ended with checkpoint v{}; publishing its final status",
        r.jobId(),
        last.version());
    if (last.epoch() < last.training().numEpochs()) {
      statuses.cancelled(
          r,
          tables.cancel(r.jobId()).map(c -> c.reason()).orElse(null),
          last.version(),
          last.epoch());
    } else {
      statuses.completed(
          r,
          last.version(),
          last.epoch(),
          last.metrics().trainLoss(),
          last.metrics().valLoss(),
          elapsed(CheckpointEvents.decode(last)));
    }
  }

  private Prepared prepare(TrainingRequest r, JobControl control) throws Rejection {
    policy.checkSizes(r);
    CorpusManifest manifest = awaitCorpus(r, control);
    if (manifest == null) return null;
    long t0 = System.nanoTime();
    String text = corpora.read(manifest);
    long t1 = System.nanoTime();
    Optional<CheckpointEvent> state = states.latest(r.modelId());
    LOG.info(
        "job {}: corpus read in {} ms, latest training state found in {} ms",
        r.jobId(),
        (t1 - t0) / 1_000_000,
        (System.nanoTime() - t1) / 1_000_000);
    long version = state.map(CheckpointEvent::version).orElse(0L);

    if (state.isPresent() && state.get().jobId().equals(r.jobId()) && state.get().last()) {
      return Prepared.ended(state.get()); // it ended but died before saying so
    }
    if (state.isPresent() && state.get().jobId().equals(r.jobId())) {
      Checkpoint cp = CheckpointEvents.decode(state.get());
      return new Prepared(
          CharRnnTrainer.resume(cp, text),
          resumePoint(state.get(), cp),
          version,
          elapsed(cp),
          cp.trainingConfig());
    }
    if (r.restore()) {
      if (state.isEmpty()) {
        throw new Rejection(
            "restore",
            "model '"
                + r.modelId()
                + "' has no checkpoint to restore from; "
                + "submit without restore to train it from scratch");
      }
      Checkpoint cp = CheckpointEvents.decode(state.get());
      ModelConfig mc = policy.modelConfig(r, cp.vocabulary().size());
      if (!mc.equals(cp.modelConfig())) {
        throw new Rejection(
            "rnnSize",
            "restore needs the model's own shape "
                + cp.modelConfig()
                + ", but the request asks for "
                + mc);
      }
      TrainingConfig tc =
          policy
              .trainingConfig(r, text.codePointCount(0, text.length()), config.stateEverySteps())
              .withNumEpochs(cp.position().epoch() + r.numEpochs());
      return new Prepared(
          CharRnnTrainer.resume(cp, text, tc), resumePoint(state.get(), cp), version, 0, tc);
    }
    Vocabulary vocabulary = Vocabulary.forKind(r.vocabulary().json(), text);
    ModelConfig mc = policy.modelConfig(r, vocabulary.size());
    TrainingConfig tc =
        policy.trainingConfig(r, text.codePointCount(0, text.length()), config.stateEverySteps());
    return new Prepared(CharRnnTrainer.start(mc, tc, vocabulary, text), null, version, 0, tc);
  }

  /** Waits (bounded by corpus.wait-ms) for the corpus to be completely uploaded and indexed. */
  private CorpusManifest awaitCorpus(TrainingRequest r, JobControl control) throws Rejection {
    long deadline = System.nanoTime() + config.corpusWait().toNanos();
    while (true) {
      Optional<CorpusManifest> m = tables.corpus(r.corpusId());
      if (m.isPresent() && m.get().current() != null) return m.get();
      if (control.handoverRequested()) return null;
      if (System.nanoTime() >= deadline) {
        if (m.isEmpty()) {
          throw new Rejection(
              "corpusId",
              "unknown corpus '"
                  + r.corpusId()
                  + "': upload it first with "
                  + "`charstream corpus put --corpus-id "
                  + r.corpusId()
                  + " FILE`");
        }
        CorpusManifest.Upload p = m.get().pending();
        throw new Rejection(
            "corpusId",
            "corpus '"
                + r.corpusId()
                + "' has no complete upload"
                + (p != null
                    ? " (upload "
                        + p.uploadId()
                        + " has "
                        + p.received()
                        + " of "
                        + p.count()
                        + " chunks)"
                    : "")
                + (m.get().lastError() != null ? "; " + m.get().lastError() : "")
                + "; upload it again");
      }
      LockSupport.parkNanos(
          Duration.ofMillis(200).toNanos()); // the index is a global table: poll it
    }
  }

  private static TrainingStatus.ResumePoint resumePoint(CheckpointEvent e, Checkpoint cp) {
    return new TrainingStatus.ResumePoint(
        e.version(), cp.position().epoch(), cp.position().globalStep());
  }

  private static double elapsed(Checkpoint cp) {
    double s = cp.history().stream().mapToDouble(Metrics::durationSeconds).sum();
    return s + cp.trainingState().map(t -> t.epochSeconds()).orElse(0.0);
  }
}
