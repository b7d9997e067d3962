package io.charstream.app.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.client.CorpusUploader;
import io.charstream.app.client.TrainingRequests;
import io.charstream.app.it.KafkaBroker;
import io.charstream.app.it.TopicReader;
import io.charstream.schemas.Topics;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.schemas.message.TrainingStatus;
import io.charstream.trainer.TrainerConfig;
import io.charstream.trainer.TrainerWorker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trainer process killed mid-job (SIGKILL: no handover, no goodbye to the group) loses nothing:
 * another trainer takes the partition when the dead one's session expires and resumes the job from
 * its last saved training state; the step count and the loss curve continue.
 */
class TrainerFailoverIT {
  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();
  static final Duration TIMEOUT = Duration.ofSeconds(300);

  /** A short session, so the dead trainer's partitions move on in seconds rather than 45 s. */
  static final Map<String, String> FAST_SESSION =
      Map.of(
          "CHARSTREAM_KAFKA_SESSION_TIMEOUT_MS",
          "6000",
          "CHARSTREAM_KAFKA_HEARTBEAT_INTERVAL_MS",
          "1500");

  @Test
  void aKilledTrainersJobResumesElsewhereFromItsLastCheckpoint(@TempDir Path dir) throws Exception {
    Topics topics = KAFKA.newTopics();
    Map<String, Object> settings = TrainerFixture.settings(KAFKA, topics, "crash-a");
    settings.put(TrainerConfig.STATE_EVERY_STEPS, 10);
    new CorpusUploader(KAFKA.clientProps(), topics)
        .upload("crash-corpus", TrainerFixture.corpus(10_000, 5), n -> {});
    TrainingRequests.send(
        KAFKA.clientProps(),
        topics.trainingRequests(),
        TrainerFixture.tinyRequest("job-crash", "m-crash", "crash-corpus", 4));

    Process a = startChild(settings, dir.resolve("trainer-a.log"));
    try (TopicReader<String, TrainingStatus> status =
        new TopicReader<>(KAFKA.clientProps(), topics.trainingStatus())) {
      TrainingStatus.CheckpointSaved first =
          (TrainingStatus.CheckpointSaved)
              status
                  .await(
                      TIMEOUT,
                      "trainer A's first checkpoint (log: " + dir.resolve("trainer-a.log") + ")",
                      r -> r.value() instanceof TrainingStatus.CheckpointSaved)
                  .value();
      a.destroyForcibly();
      assertThat(a.waitFor()).as("A was killed").isNotZero();

      settings.put(TrainerConfig.WORKER_ID, "crash-b");
      try (TrainerWorker b = TrainerFixture.start(settings, FAST_SESSION)) {
        TrainingStatus.Accepted resumed =
            (TrainingStatus.Accepted)
                status
                    .await(
                        TIMEOUT,
                        "B accepting job-crash",
                        r ->
                            r.value() instanceof TrainingStatus.Accepted acc
                                && acc.workerId().equals("crash-b"))
                    .value();
        assertThat(resumed.resumedFrom()).as("B resumes, not restarts").isNotNull();
        assertThat(resumed.resumedFrom().globalStep()).isGreaterThanOrEqualTo(first.globalStep());
        assertThat(resumed.resumedFrom().version()).isGreaterThanOrEqualTo(first.version());

        TrainingStatus.Completed done =
            TrainerFixture.awaitEnd(status, "job-crash", TIMEOUT, TrainingStatus.Completed.class);
        assertThat(done.epochs()).isEqualTo(4);

        List<TrainingStatus> events = status.values();
        int acceptedByB = events.indexOf(resumed);
        List<TrainingStatus.Progress> afterResume = new ArrayList<>();
        for (TrainingStatus s : events.subList(acceptedByB, events.size())) {
          if (s instanceof TrainingStatus.Progress p) afterResume.add(p);
        }
        // The curve continues where A's saved state was: B never trains the steps before it again.
        assertThat(afterResume).isNotEmpty();
        assertThat(afterResume.get(0).globalStep())
            .isGreaterThan(resumed.resumedFrom().globalStep());
        assertThat(afterResume.get(0).epoch()).isEqualTo(resumed.resumedFrom().epoch() + 1);
        // Checkpoint versions only grow, across both trainers; no job ran twice (one accepted per
        // trainer).
        List<Long> versions =
            events.stream()
                .filter(TrainingStatus.CheckpointSaved.class::isInstance)
                .map(s -> ((TrainingStatus.CheckpointSaved) s).version())
                .toList();
        assertThat(versions).isSorted().doesNotHaveDuplicates();
        assertThat(events.stream().filter(TrainingStatus.Accepted.class::isInstance).count())
            .isEqualTo(2);
      }
    } finally {
      a.destroyForcibly();
    }
  }

  /** Trainer A in its own JVM, configured through the environment as a container would be. */
  static Process startChild(Map<String, Object> settings, Path log) throws Exception {
    return startChild(settings, log, "-Xmx512m");
  }

  /** A trainer in its own JVM with the heap option {@code heap} (e.g. "-Xmx768m"). */
  static Process startChild(Map<String, Object> settings, Path log, String heap) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    ProcessBuilder pb =
        new ProcessBuilder(
                java,
                heap,
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                "io.charstream.app.Main",
                "trainer")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    settings.forEach((k, v) -> pb.environment().put(EnvConfig.envName(k), String.valueOf(v)));
    pb.environment().putAll(FAST_SESSION);
    pb.environment().put("OMP_NUM_THREADS", "1");
    // No re-launch with native tuning: the process we kill must be the one that trains.
    pb.environment().put("CHARSTREAM_NATIVE_TUNING", "off");
    return pb.start();
  }
}
