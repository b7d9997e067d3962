package io.charstream.app.client;

import io.charstream.app.cli.ClientOptions;
import io.charstream.app.cli.ProgressBar;
import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.schemas.message.TrainingStatus;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code charstream status}: training jobs' latest states, optionally followed live. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Show the latest status of training jobs; with --follow, keep printing events",
      "(a progress bar on a terminal). With --job-id and --follow, exits when the job ends:",
      "0 completed, 1 failed or rejected, 3 cancelled."
    })
public final class StatusCommand implements Callable<Integer> {
  @Mixin ClientOptions client;

  @Option(names = "--model-id", paramLabel = "ID", description = "Only jobs of this model.")
  String modelId;

  @Option(names = "--job-id", paramLabel = "ID", description = "Only this job.")
  String jobId;

  @Option(names = "--follow", description = "Keep printing new events.")
  boolean follow;

  @Override
  public Integer call() {
    EnvConfig config = client.config();
    Predicate<TrainingStatus> filter =
        s ->
            (modelId == null || modelId.equals(s.modelId()))
                && (jobId == null || jobId.equals(s.jobId()));
    try (StatusWatcher watcher =
        new StatusWatcher(config.kafkaClientProps(), CommonKeys.topics(config), filter)) {
      Map<String, TrainingStatus> jobs = watcher.latest();
      if (jobs.isEmpty() && !follow) {
        System.out.println(
            "no training jobs"
                + (modelId == null ? "" : " of model " + modelId)
                + (jobId == null ? "" : " with id " + jobId));
      }
      jobs.values().forEach(s -> System.out.println(StatusView.line(s)));
      if (!follow) return 0;
      TrainingStatus known = jobId == null ? null : jobs.get(jobId);
      if (known != null && known.terminal()) return Follow.exitCode(known);
      return Follow.follow(watcher, jobId, System.out, ProgressBar.isTerminal());
    }
  }
}
