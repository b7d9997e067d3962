package io.charstream.app.client;

import io.charstream.app.cli.ProgressBar;
import io.charstream.schemas.message.TrainingStatus;
import java.io.PrintStream;
import java.time.Duration;

/** Prints status events as they arrive: a progress bar for progress, a line for everything else. */
public final class Follow {
  /** Exit status of a followed job: 0 completed, 1 failed or rejected, 3 cancelled. */
  public static int exitCode(TrainingStatus s) {
    if (s instanceof TrainingStatus.Completed) return 0;
    if (s instanceof TrainingStatus.Cancelled) return 3;
    return 1;
  }

  private Follow() {}

  /**
   * Follows until {@code jobId}'s job ends (and returns its exit code), or forever when jobId is
   * null.
   */
  public static int follow(StatusWatcher watcher, String jobId, PrintStream out, boolean terminal) {
    ProgressBar bar = new ProgressBar(out, terminal);
    while (true) {
      for (TrainingStatus s : watcher.next(Duration.ofMillis(500))) {
        if (s instanceof TrainingStatus.Progress p) {
          if (terminal) {
            bar.update(
                StatusView.fraction(p),
                (jobId == null ? p.jobId() + " " : "") + StatusView.progressLabel(p));
          } else {
            bar.println(StatusView.line(p));
          }
        } else {
          bar.println(StatusView.line(s));
        }
        if (jobId != null && s.jobId().equals(jobId) && s.terminal()) {
          bar.finish();
          return exitCode(s);
        }
      }
    }
  }
}
