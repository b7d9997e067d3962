package io.charstream.app.cli;

import io.charstream.model.Progress;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Training progress on the console: a redrawn bar on a terminal, plain lines (at most one every
 * {@code plainIntervalSeconds}) when the output goes to a file or pipe.
 */
public final class ConsoleProgress {

  private static final int WIDTH = 30;

  private final PrintWriter out;
  private final boolean terminal;
  private final double plainIntervalSeconds;
  private long lastPlainNanos;
  private boolean barShown;

  public ConsoleProgress(PrintWriter out, boolean terminal, double plainIntervalSeconds) {
    this.out = out;
    this.terminal = terminal;
    this.plainIntervalSeconds = plainIntervalSeconds;
    this.lastPlainNanos = System.nanoTime();
  }

  /** A terminal when both stdin and stdout are attached to one (Java's test for a console). */
  public static boolean isTerminal() {
    return System.console() != null;
  }

  public void update(Progress p) {
    String text = render(p);
    if (terminal) {
      out.print("\r" + text + "\u001b[K");
      out.flush();
      barShown = true;
    } else if (p.step() == p.stepsPerEpoch()
        || (System.nanoTime() - lastPlainNanos) / 1e9 >= plainIntervalSeconds) {
      lastPlainNanos = System.nanoTime();
      out.println(text);
    }
  }

  /** Ends the bar's line before other output. */
  public void clear() {
    if (barShown) {
      out.print("\r\u001b[K");
      out.flush();
      barShown = false;
    }
  }

  public static String render(Progress p) {
    int filled = (int) ((long) WIDTH * p.step() / p.stepsPerEpoch());
    String bar = "#".repeat(filled) + ".".repeat(WIDTH - filled);
    return String.format(
        Locale.ROOT,
        "epoch %d/%d [%s] %d/%d loss %.4f, %,.0f chars/s, ETA %s",
        p.epoch(),
        p.numEpochs(),
        bar,
        p.step(),
        p.stepsPerEpoch(),
        p.loss(),
        p.charsPerSecond(),
        duration(p.etaSeconds()));
  }

  public static String duration(double seconds) {
    if (!Double.isFinite(seconds)) {
      return "?";
    }
    long s = Math.round(seconds);
    if (s >= 3600) {
      return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }
    return s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
  }
}
