package io.charstream.app.bench;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * The loss curves of {@code bench table} result files as one self-contained SVG (no script, font or
 * stylesheet from elsewhere, so a browser and GitHub's image view show the same): on the left
 * held-out (solid) and training (dashed) loss against epoch, on the right held-out loss against
 * wall time; one colour per result file, in the order given, and a legend naming each run and its
 * lowest held-out loss. Losses are mean cross entropy per character, in nats.
 *
 * <p>For tests and tools: each panel is a {@code <g class="panel">} with one {@code <rect
 * class="plot-area">}, one {@code <path class="curve">} per curve (one point per epoch, {@code
 * data-series} "held-out" or "training", {@code data-result} the file's index) and the tick labels
 * as {@code <text class="x-tick">} / {@code <text class="y-tick">}.
 */
final class LossPlot {

  /** Okabe and Ito's colour-blind-safe palette (without its yellow, too pale on white). */
  private static final String[] COLOURS = {
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"
  };

  private static final String FONT =
      "-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif";
  private static final int WIDTH = 960;
  private static final double TOP = 100;
  private static final double PLOT_WIDTH = 370;
  private static final double PLOT_HEIGHT = 300;
  private static final double[] LEFT = {72, 566};
  private static final double LEGEND_TOP = TOP + PLOT_HEIGHT + 66;
  private static final double LEGEND_ROW = 20;

  private LossPlot() {}

  /** The SVG document for {@code results}, in this order (the order picks the colours). */
  static String svg(List<ResultCurves> results) {
    if (results.isEmpty()) {
      throw new IllegalArgumentException("no result files to plot");
    }
    int height = (int) Math.ceil(LEGEND_TOP + LEGEND_ROW * (results.size() + 1) + 8);
    StringBuilder out = new StringBuilder();
    out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .append(
            String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                    + " viewBox=\"0 0 %d %d\" font-family=\"%s\" font-size=\"13\" fill=\"#24292f\">\n",
                WIDTH,
                height,
                WIDTH,
                height,
                FONT))
        .append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
    Set<String> corpora = new LinkedHashSet<>();
    results.forEach(r -> corpora.add(r.corpus()));
    text(out, LEFT[0] - 52, 30, "title", "start", "font-size=\"18\" font-weight=\"600\"")
        .append(escape("Loss curves: " + String.join(", ", corpora)))
        .append("</text>\n");
    text(out, LEFT[0] - 52, 50, "subtitle", "start", "fill=\"#57606a\"")
        .append("mean cross entropy per character (nats), one colour per result file")
        .append("</text>\n");

    List<Double> epochX = new ArrayList<>();
    List<Double> epochY = new ArrayList<>();
    List<Double> wallX = new ArrayList<>();
    List<Double> wallY = new ArrayList<>();
    for (ResultCurves r : results) {
      for (ResultCurves.Epoch e : r.epochs()) {
        epochX.add((double) e.epoch());
        epochY.add(e.trainLoss());
        wallX.add(e.elapsedSeconds());
        if (!Double.isNaN(e.valLoss())) {
          epochY.add(e.valLoss());
          wallY.add(e.valLoss());
        }
      }
    }
    Axis epochs = Axis.covering(0, max(epochX), 7, true);
    Axis losses = Axis.covering(min(epochY), max(epochY), 6, false);
    Axis seconds = Axis.covering(0, max(wallX), 6, false);
    // Without any held-out loss the right panel stays empty, on the training losses' scale.
    Axis heldOut = wallY.isEmpty() ? losses : Axis.covering(min(wallY), max(wallY), 6, false);

    Panel byEpoch = new Panel("epoch", LEFT[0], "Loss by epoch", "epoch", epochs, losses);
    Panel byTime =
        new Panel(
            "wall-time",
            LEFT[1],
            "Held-out loss by wall time",
            "wall time since the start (s)",
            seconds,
            heldOut);
    byEpoch.open(out);
    for (int i = 0; i < results.size(); i++) {
      ResultCurves r = results.get(i);
      byEpoch.curve(out, i, r, "training", ResultCurves.Epoch::epoch, e -> e.trainLoss());
      byEpoch.curve(out, i, r, "held-out", ResultCurves.Epoch::epoch, e -> e.valLoss());
      byEpoch.best(out, i, r, ResultCurves.Epoch::epoch);
    }
    out.append("</g>\n");
    byTime.open(out);
    for (int i = 0; i < results.size(); i++) {
      ResultCurves r = results.get(i);
      byTime.curve(out, i, r, "held-out", e -> e.elapsedSeconds(), e -> e.valLoss());
      byTime.best(out, i, r, e -> e.elapsedSeconds());
    }
    out.append("</g>\n");
    legend(out, results);
    return out.append("</svg>\n").toString();
  }

  private static void legend(StringBuilder out, List<ResultCurves> results) {
    out.append("<g class=\"legend\">\n");
    double x = LEFT[0] - 52;
    double y = LEGEND_TOP;
    line(out, x, y, x + 28, y, "#57606a", 2, null);
    text(out, x + 34, y + 4, "key", "start", "").append("held-out</text>\n");
    line(out, x + 110, y, x + 138, y, "#57606a", 1.5, "5 4");
    text(out, x + 144, y + 4, "key", "start", "").append("training</text>\n");
    out.append(
        String.format(
            Locale.ROOT,
            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#57606a\"/>\n",
            x + 234,
            y));
    text(out, x + 244, y + 4, "key", "start", "").append("lowest held-out loss</text>\n");
    for (int i = 0; i < results.size(); i++) {
      ResultCurves r = results.get(i);
      double row = y + LEGEND_ROW * (i + 1);
      line(out, x, row, x + 28, row, colour(i), 3, null);
      ResultCurves.Epoch best = r.bestHeldOut();
      String summary =
          best == null
              ? "no held-out loss"
              : String.format(
                  Locale.ROOT,
                  "lowest held-out %.3f at epoch %d (%,.0f s); last training %.3f",
                  best.valLoss(),
                  best.epoch(),
                  best.elapsedSeconds(),
                  r.epochs().get(r.epochs().size() - 1).trainLoss());
      text(out, x + 34, row + 4, "entry", "start", "")
          .append("<tspan font-weight=\"600\">")
          .append(escape(r.label()))
          .append("</tspan>: ")
          .append(escape(summary))
          .append("</text>\n");
    }
    out.append("</g>\n");
  }

  private static String colour(int i) {
    return COLOURS[i % COLOURS.length];
  }

  /** One panel: its frame, grid, ticks and labels, then curves in data coordinates. */
  private record Panel(String id, double left, String title, String xLabel, Axis x, Axis y) {

    void open(StringBuilder out) {
      out.append("<g class=\"panel\" id=\"").append(id).append("\">\n");
      double bottom = TOP + PLOT_HEIGHT;
      text(out, left, TOP - 14, "panel-title", "start", "font-size=\"14\" font-weight=\"600\"")
          .append(escape(title))
          .append("</text>\n");
      for (BigDecimal t : y.ticks()) {
        double py = py(t.doubleValue());
        line(out, left, py, left + PLOT_WIDTH, py, "#eaeef2", 1, null);
        line(out, left - 4, py, left, py, "#57606a", 1, null);
        text(out, left - 7, py + 4, "y-tick", "end", "").append(y.label(t)).append("</text>\n");
      }
      for (BigDecimal t : x.ticks()) {
        double px = px(t.doubleValue());
        line(out, px, TOP, px, bottom, "#eaeef2", 1, null);
        line(out, px, bottom, px, bottom + 4, "#57606a", 1, null);
        text(out, px, bottom + 18, "x-tick", "middle", "").append(x.label(t)).append("</text>\n");
      }
      out.append(
          String.format(
              Locale.ROOT,
              "<rect class=\"plot-area\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\""
                  + " fill=\"none\" stroke=\"#57606a\"/>\n",
              left,
              TOP,
              PLOT_WIDTH,
              PLOT_HEIGHT));
      text(out, left + PLOT_WIDTH / 2, bottom + 40, "x-label", "middle", "")
          .append(escape(xLabel))
          .append("</text>\n");
      double ly = TOP + PLOT_HEIGHT / 2;
      text(
              out,
              left - 46,
              ly,
              "y-label",
              "middle",
              String.format(Locale.ROOT, "transform=\"rotate(-90 %.1f %.1f)\"", left - 46, ly))
          .append("loss (nats per character)</text>\n");
    }

    /** One curve: a point per epoch with a measured value; nothing when there is none. */
    void curve(
        StringBuilder out,
        int index,
        ResultCurves r,
        String series,
        ToDoubleFunction<ResultCurves.Epoch> xOf,
        ToDoubleFunction<ResultCurves.Epoch> yOf) {
      StringBuilder d = new StringBuilder();
      for (ResultCurves.Epoch e : r.epochs()) {
        double v = yOf.applyAsDouble(e);
        if (Double.isNaN(v)) {
          continue;
        }
        d.append(d.length() == 0 ? "M" : "L")
            .append(String.format(Locale.ROOT, "%.1f,%.1f", px(xOf.applyAsDouble(e)), py(v)));
      }
      if (d.length() == 0) {
        return;
      }
      boolean training = series.equals("training");
      out.append(
              String.format(
                  Locale.ROOT,
                  "<path class=\"curve\" data-series=\"%s\" data-result=\"%d\" d=\"%s\""
                      + " fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" stroke-linejoin=\"round\"%s>",
                  series,
                  index,
                  d,
                  colour(index),
                  training ? "1.5" : "2",
                  training ? " stroke-dasharray=\"5 4\"" : ""))
          .append("<title>")
          .append(escape(r.label() + ": " + series + " loss"))
          .append("</title></path>\n");
    }

    /** A dot on the lowest held-out loss. */
    void best(
        StringBuilder out, int index, ResultCurves r, ToDoubleFunction<ResultCurves.Epoch> xOf) {
      ResultCurves.Epoch b = r.bestHeldOut();
      if (b == null) {
        return;
      }
      out.append(
          String.format(
              Locale.ROOT,
              "<circle class=\"best\" data-result=\"%d\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\""
                  + " fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"1\"/>\n",
              index,
              px(xOf.applyAsDouble(b)),
              py(b.valLoss()),
              colour(index)));
    }

    double px(double value) {
      return left + x.fraction(value) * PLOT_WIDTH;
    }

    double py(double value) {
      return TOP + PLOT_HEIGHT - y.fraction(value) * PLOT_HEIGHT;
    }
  }

  /**
   * A linear axis from {@code lo} to {@code hi}, both multiples of {@code step} (1, 2, 2.5 or 5
   * times a power of ten), so the ends are labelled ticks.
   */
  record Axis(BigDecimal lo, BigDecimal hi, BigDecimal step) {

    /** The smallest such axis holding [min, max], with about {@code ticks} intervals. */
    static Axis covering(double min, double max, int ticks, boolean integers) {
      if (!(max > min)) {
        double pad = Math.max(Math.abs(min) * 0.05, integers ? 1 : 0.01);
        min -= min == 0 ? 0 : pad;
        max += pad;
      }
      double raw = (max - min) / ticks;
      int exponent = (int) Math.floor(Math.log10(raw));
      double mantissa = raw / Math.pow(10, exponent);
      BigDecimal step = null;
      for (String m : new String[] {"1", "2", "2.5", "5", "10"}) {
        BigDecimal candidate = new BigDecimal(m).scaleByPowerOfTen(exponent);
        boolean fractional = candidate.stripTrailingZeros().scale() > 0;
        if (Double.parseDouble(m) >= mantissa && !(integers && fractional)) {
          step = candidate;
          break;
        }
      }
      if (step == null) {
        step = BigDecimal.TEN.scaleByPowerOfTen(exponent);
      }
      if (integers && step.compareTo(BigDecimal.ONE) < 0) {
        step = BigDecimal.ONE;
      }
      BigDecimal lo = multiple(min, step, RoundingMode.FLOOR);
      BigDecimal hi = multiple(max, step, RoundingMode.CEILING);
      if (hi.compareTo(lo) == 0) {
        hi = lo.add(step);
      }
      return new Axis(lo, hi, step.stripTrailingZeros());
    }

    private static BigDecimal multiple(double value, BigDecimal step, RoundingMode mode) {
      return BigDecimal.valueOf(value).divide(step, 0, mode).multiply(step);
    }

    List<BigDecimal> ticks() {
      List<BigDecimal> ticks = new ArrayList<>();
      for (BigDecimal t = lo; t.compareTo(hi) <= 0; t = t.add(step)) {
        ticks.add(t);
      }
      return ticks;
    }

    /** Every label with the step's decimals: 1.25, 1.50, 1.75. */
    String label(BigDecimal tick) {
      return tick.setScale(Math.max(0, step.scale()), RoundingMode.HALF_EVEN).toPlainString();
    }

    double fraction(double value) {
      return (value - lo.doubleValue()) / (hi.doubleValue() - lo.doubleValue());
    }
  }

  private static StringBuilder text(
      StringBuilder out, double x, double y, String cls, String anchor, String extra) {
    return out.append(
        String.format(
            Locale.ROOT,
            "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>",
            cls,
            x,
            y,
            anchor,
            extra.isEmpty() ? "" : " " + extra));
  }

  private static void line(
      StringBuilder out,
      double x1,
      double y1,
      double x2,
      double y2,
      String stroke,
      double width,
      String dash) {
    out.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%s\"%s/>\n",
            x1,
            y1,
            x2,
            y2,
            stroke,
            BigDecimal.valueOf(width).stripTrailingZeros().toPlainString(),
            dash == null ? "" : " stroke-dasharray=\"" + dash + "\""));
  }

  private static double min(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).min().orElse(0);
  }

  private static double max(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).max().orElse(1);
  }

  /** Text and attribute values: the five XML special characters as entities. */
  static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;")
        .replace("'", "&apos;");
  }
}
