package io.charstream.app.cli;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar redrawn in place on a terminal; plain lines elsewhere. */
public final class ProgressBar {
  private final PrintStream out;
  private final boolean terminal;
  private boolean open;

  public ProgressBar(PrintStream out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  public static boolean isTerminal() {
    return System.console() != null;
  }

  /** Draws {@code fraction} (0..1) with a label; on a terminal it replaces the previous bar. */
  public void update(double fraction, String label) {
    if (!terminal) {
      out.println(label);
      return;
    }
    int width = 30;
    int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * width);
    out.print(
        "\r["
            + "#".repeat(filled)
            + "-".repeat(width - filled)
            + "] "
            + String.format(Locale.ROOT, "%3.0f%% ", fraction * 100)
            + label
            + "\u001b[K");
    out.flush();
    open = true;
  }

  /** Prints a line above the bar (the bar is redrawn by the next update). */
  public void println(String line) {
    if (open) {
      out.print("\r\u001b[K");
      open = false;
    }
    out.println(line);
  }

  public void finish() {
    if (open) out.println();
    open = false;
  }
}
