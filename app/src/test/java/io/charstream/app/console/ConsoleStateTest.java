package io.charstream.app.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.TrainingStatus;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Jobs, curves and feeds built from status events, without a broker. */
class ConsoleStateTest {
  static final TrainingRequest REQUEST = TrainingRequest.defaults("j1", "m", "shakespeare");

  static TrainingStatus accepted(String job) {
    return new TrainingStatus.Accepted(1, job, "m", 1_000, "trainer-1", REQUEST, null);
  }

  static TrainingStatus progress(String job, int epoch, long step, double loss, Double val) {
    return new TrainingStatus.Progress(
        1,
        job,
        "m",
        2_000 + epoch * 100 + step,
        epoch,
        3,
        step,
        10,
        (epoch - 1) * 10 + step,
        loss,
        val,
        20_000,
        30,
        5);
  }

  static TrainingStatus checkpoint(String job, long version, int epoch, Double val) {
    return new TrainingStatus.CheckpointSaved(
        1, job, "m", 3_000 + epoch, version, epoch, epoch * 10L, 2.0, val, 1000, "a".repeat(64));
  }

  /** A feed that records what it was sent. */
  static final class Recorder implements ConsoleState.Sink {
    final List<String> events = new ArrayList<>();
    final List<ObjectNode> data = new ArrayList<>();
    boolean full;

    @Override
    public boolean offer(String event, ObjectNode d) {
      if (full) return false;
      events.add(event);
      data.add(d);
      return true;
    }
  }

  static ConsoleState state() {
    return new ConsoleState(new ServedVersions.FromAnswers());
  }

  @Test
  void progressDrawsTheTrainingCurveAndCheckpointsTheHeldOutOne() {
    ConsoleState s = state();
    s.status(accepted("j1"));
    s.status(progress("j1", 1, 5, 3.0, null));
    s.status(progress("j1", 1, 10, 2.6, null));
    s.status(checkpoint("j1", 1, 1, 2.5));
    s.status(progress("j1", 2, 5, 2.2, 2.5));
    JsonNode job = s.job("j1");
    assertThat(job.path("state").asText()).isEqualTo("progress");
    assertThat(job.path("corpusId").asText()).isEqualTo("shakespeare");
    assertThat(job.path("workerId").asText()).isEqualTo("trainer-1");
    assertThat(job.path("epoch").asInt()).isEqualTo(2);
    assertThat(job.path("step").asInt()).isEqualTo(5);
    assertThat(job.path("loss").asDouble()).isEqualTo(2.2);
    assertThat(job.path("valLoss").asDouble()).isEqualTo(2.5);
    assertThat(job.path("version").asLong()).isEqualTo(1);
    assertThat(job.path("train").toString()).isEqualTo("[[0.5,3.0],[1.0,2.6],[1.5,2.2]]");
    assertThat(job.path("val").toString()).isEqualTo("[[1.0,2.5]]");
  }

  @Test
  void aSecondHeldOutValueForAnEpochReplacesTheFirstAndNanIsNotDrawn() {
    ConsoleState s = state();
    s.status(checkpoint("j1", 1, 1, 2.5));
    s.status(checkpoint("j1", 2, 1, 2.4)); // a cancelled job's final checkpoint of the same epoch
    s.status(progress("j1", 2, 1, Double.NaN, null)); // diverged
    s.status(new TrainingStatus.Failed(1, "j1", "m", 9_000, "diverged", "loss is NaN at step 11"));
    JsonNode job = s.job("j1");
    assertThat(job.path("val").toString()).isEqualTo("[[1.0,2.4]]");
    assertThat(job.path("train")).isEmpty();
    assertThat(job.path("state").asText()).isEqualTo("failed");
    assertThat(job.path("reason").asText()).isEqualTo("diverged: loss is NaN at step 11");
    assertThat(job.has("loss")).isFalse();
  }

  @Test
  void aRejectionSaysWhyAndWhichField() {
    ConsoleState s = state();
    s.status(new TrainingStatus.Rejected(1, "j9", "m", 5, "must be >= 1", "batchSize"));
    assertThat(s.job("j9").path("reason").asText()).isEqualTo("batchSize: must be >= 1");
    assertThat(s.job("j9").path("state").asText()).isEqualTo("rejected");
  }

  @Test
  void longCurvesKeepTheirShapeWithinTheLimit() {
    ConsoleState s = state();
    int n = JobView.MAX_POINTS * 3;
    for (int i = 1; i <= n; i++) s.status(progress("j1", 1, i, 1.0 + 1.0 / i, null));
    JsonNode train = s.job("j1").path("train");
    assertThat(train.size())
        .isLessThanOrEqualTo(JobView.MAX_POINTS)
        .isGreaterThan(JobView.MAX_POINTS / 2);
    assertThat(train.get(0).get(0).asDouble()).isEqualTo(0.1); // the first point stays
    assertThat(train.get(train.size() - 1).get(0).asDouble())
        .isEqualTo(n / 10.0); // so does the last
  }

  @Test
  void aNewFeedGetsTheSnapshotThenOnlyWhatComesAfter() {
    ConsoleState s = state();
    s.status(accepted("j1"));
    s.status(progress("j1", 1, 5, 3.0, null));
    Recorder feed = new Recorder();
    s.subscribe(feed);
    s.status(progress("j1", 1, 10, 2.5, null));
    s.caughtUp();
    assertThat(feed.events).containsExactly("snapshot", "job", "caughtUp");
    JsonNode snap = feed.data.get(0);
    assertThat(snap.path("caughtUp").asBoolean()).isFalse();
    assertThat(snap.path("jobs").get(0).path("train").toString()).isEqualTo("[[0.5,3.0]]");
    JsonNode job = feed.data.get(1);
    assertThat(job.path("train").toString()).isEqualTo("[[1.0,2.5]]"); // only the new point
    assertThat(job.path("job").has("train")).isFalse();
    assertThat(s.snapshot().path("caughtUp").asBoolean()).isTrue();
  }

  @Test
  void aFeedThatFallsBehindIsDroppedAndTheOthersGoOn() {
    ConsoleState s = state();
    Recorder slow = new Recorder();
    Recorder fine = new Recorder();
    s.subscribe(slow);
    s.subscribe(fine);
    slow.full = true;
    s.status(accepted("j1"));
    assertThat(s.subscribers()).isEqualTo(1);
    s.status(progress("j1", 1, 1, 3.0, null));
    assertThat(fine.events).containsExactly("snapshot", "job", "job");
  }

  @Test
  void aStoppedReaderIsToldToFeedsAndInEverySnapshot() {
    ConsoleState s = state();
    Recorder feed = new Recorder();
    s.subscribe(feed);
    s.stopped("org.apache.kafka.common.errors.AuthorizationException: no");
    assertThat(feed.events).containsExactly("snapshot", "stopped");
    assertThat(feed.data.get(1).path("reason").asText()).contains("AuthorizationException");
    assertThat(feed.data.get(0).has("stopped")).isFalse();
    assertThat(s.snapshot().path("stopped").asText()).contains("AuthorizationException");
  }

  @Test
  void servedVersionsArePublishedWhenTheyChange() {
    ServedVersions.FromAnswers answers = new ServedVersions.FromAnswers();
    ConsoleState s = new ConsoleState(answers);
    Recorder feed = new Recorder();
    s.subscribe(feed);
    s.refreshServed();
    answers.answered("m", 3L);
    s.refreshServed();
    s.refreshServed();
    answers.answered("m", 2L); // an older version never replaces a newer one
    s.refreshServed();
    assertThat(feed.events).containsExactly("snapshot", "served");
    assertThat(feed.data.get(1).path("served").toString()).isEqualTo("{\"m\":3}");
    assertThat(s.snapshot().path("served").toString()).isEqualTo("{\"m\":3}");
  }
}
