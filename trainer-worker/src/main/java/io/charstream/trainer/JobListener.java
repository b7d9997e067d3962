package io.charstream.trainer;

import io.charstream.model.Checkpoint;
import io.charstream.model.CorpusReport;
import io.charstream.model.EpochResult;
import io.charstream.model.Progress;
import io.charstream.model.TrainingListener;
import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.schemas.message.TrainingRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the engine's callbacks (on the training thread) into Kafka events: progress statuses,
 * checkpoints each epoch (weights only on the checkpoints topic for generators, the full state on
 * training-state for resuming), and mid-epoch training states; and into the job's meters.
 */
final class JobListener implements TrainingListener {
  private static final Logger LOG = LoggerFactory.getLogger(JobListener.class);

  private final TrainingRequest request;
  private final Statuses statuses;
  private final long startNanos = System.nanoTime();
  private final double elapsedBefore;
  private final JobMeters meters;
  private long version;
  private Double lastValLoss;
  private double lastTrainLoss = Double.NaN;
  private long lastPublishedVersion;

  /**
   * @param version the model's latest checkpoint version so far (0 for none); each new one is +1
   * @param elapsedBefore seconds the job trained before this run (when resumed)
   */
  JobListener(
      TrainingRequest request,
      Statuses statuses,
      long version,
      double elapsedBefore,
      JobMeters meters) {
    this.request = request;
    this.statuses = statuses;
    this.version = version;
    this.elapsedBefore = elapsedBefore;
    this.meters = meters;
  }

  @Override
  public void onCorpusReport(CorpusReport report) {
    LOG.info(
        "job {}: corpus {}: {} characters ({} training, {} validation), {} batches per epoch{}",
        request.jobId(),
        request.corpusId(),
        report.corpusChars(),
        report.trainChars(),
        report.valChars(),
        report.stepsPerEpoch(),
        report.unknownCount() == 0 ? "" : "; " + report.unknownSummary(8));
  }

  @Override
  public void onProgress(Progress p) {
    meters.progress(p);
    statuses.progress(
        request,
        p,
        lastValLoss,
        finite(p.charsPerSecond()),
        finite(p.etaSeconds()),
        elapsedSeconds());
  }

  @Override
  public void onEpochEnd(EpochResult r, Checkpoint checkpoint) {
    lastValLoss = Double.isFinite(r.valLoss()) ? r.valLoss() : null;
    lastTrainLoss = r.trainLoss();
    meters.epochEnd(r);
    boolean last = r.epoch() == r.numEpochs();
    LOG.info("job {}: {}", request.jobId(), r.logLine());
    publish(checkpoint, last, r.trainLoss(), true);
  }

  @Override
  public void onCheckpoint(Checkpoint checkpoint) {
    publish(checkpoint, false, runningLoss(checkpoint), false);
  }

  /** Saves where a stopped job is, for whoever resumes it; generators do not see it. */
  void saveState(Checkpoint checkpoint) {
    publish(checkpoint, false, runningLoss(checkpoint), false);
  }

  /** Publishes the checkpoint a cancelled job ends with, to both topics. */
  void publishFinal(Checkpoint checkpoint) {
    publish(
        checkpoint,
        true,
        Double.isNaN(lastTrainLoss) ? runningLoss(checkpoint) : lastTrainLoss,
        true);
  }

  private void publish(Checkpoint full, boolean last, double trainLoss, boolean forGenerators) {
    version++;
    long now = statuses.now();
    long t0 = System.nanoTime();
    // The training state first: a crash between the two writes then loses no resumable work.
    CheckpointEvent state =
        CheckpointEvents.of(
            full, request.modelId(), version, request.jobId(), last, request, trainLoss, now);
    statuses.producer().sendSync(statuses.topics().trainingState(), request.modelId(), state);
    meters.trainingStateWritten(state.sizeBytes());
    if (!forGenerators) return;
    CheckpointEvent weights =
        CheckpointEvents.of(
            full.withoutTrainingState(),
            request.modelId(),
            version,
            request.jobId(),
            last,
            request,
            trainLoss,
            now);
    statuses.producer().sendSync(statuses.topics().checkpoints(), request.modelId(), weights);
    meters.checkpointPublished(version, weights.sizeBytes(), System.nanoTime() - t0, now);
    lastPublishedVersion = version;
    statuses.checkpointSaved(request, weights, now);
    LOG.info(
        "job {}: checkpoint {} v{} published ({} bytes of weights, {} bytes with training state)",
        request.jobId(),
        request.modelId(),
        version,
        weights.sizeBytes(),
        state.sizeBytes());
  }

  long lastPublishedVersion() {
    return lastPublishedVersion;
  }

  /** Publishes the job's completed status: its last published version, losses and time. */
  void completed(int epoch) {
    statuses.completed(
        request, lastPublishedVersion, epoch, finite(lastTrainLoss), lastValLoss, elapsedSeconds());
  }

  private double elapsedSeconds() {
    return elapsedBefore + (System.nanoTime() - startNanos) / 1e9;
  }

  private static double runningLoss(Checkpoint c) {
    int batch = c.position().batch();
    return c.trainingState()
        .filter(s -> batch > 0)
        .map(s -> s.epochLossSum() / batch)
        .orElse(c.metrics().map(m -> m.trainLoss()).orElse(Double.NaN));
  }

  private static double finite(double v) {
    return Double.isFinite(v) ? v : 0.0;
  }
}
