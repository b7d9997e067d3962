package io.charstream.app.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.charstream.app.local.LocalCommandsTest;
import io.charstream.app.local.LocalCommandsTest.Run;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** bench table --plot: the SVG's structure against the result files' numbers, and bad files. */
class LossPlotTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  /** Five epochs, held-out lowest at epoch 4, 60 s each. */
  private static final double[] A_TRAIN = {2.9, 2.1, 1.8, 1.6, 1.5};

  private static final double[] A_VAL = {2.4, 1.9, 1.7, 1.62, 1.64};

  /** Three epochs on another scale: higher losses, 1,500 s each. */
  private static final double[] B_TRAIN = {3.6, 3.3, 3.1};

  private static final double[] B_VAL = {3.4, 3.2, 3.05};

  static ObjectNode result(String preset, double[] train, double[] val, double secondsPerEpoch) {
    ObjectNode r = JSON.createObjectNode();
    r.put("benchmark", "table").put("system", "charstream").put("preset", preset);
    r.putObject("corpus").put("name", "small");
    r.putObject("config").put("val_split", "tail");
    ArrayNode epochs = r.putArray("epochs");
    for (int i = 0; i < train.length; i++) {
      ObjectNode e = epochs.addObject();
      e.put("epoch", i + 1).put("train_loss", train[i]);
      if (val == null) {
        e.putNull("val_loss");
      } else {
        e.put("val_loss", val[i]);
      }
      e.put("elapsed_s", secondsPerEpoch * (i + 1));
    }
    return r;
  }

  private Path write(String name, Object content) throws Exception {
    Path file = dir.resolve(name);
    if (content instanceof String s) {
      Files.writeString(file, s);
    } else {
      JSON.writeValue(file.toFile(), content);
    }
    return file;
  }

  @Test
  void drawsEachCurveOncePerPanelWithAPointPerEpochInsideAxesThatCoverTheData() throws Exception {
    Path a = write("a.json", result("reference & <friends>", A_TRAIN, A_VAL, 60));
    Path b = write("b.json", result("recommended", B_TRAIN, B_VAL, 1500));
    Path svg = dir.resolve("plots/small.svg");
    Run run = LocalCommandsTest.run("bench", "table", "--plot", svg.toString(), a + "", b + "");
    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.err()).contains("plot of 2 result files written to " + svg);

    Document doc = parse(svg);
    List<Element> panels = elements(doc, "//g[@class='panel']");
    assertThat(panels).hasSize(2);
    assertThat(text(doc, "//text[@class='title']")).isEqualTo("Loss curves: small");
    assertThat(text(doc, "//g[@class='legend']")).contains("reference & <friends>");

    // Left: training and held-out against epoch, for each file.
    Element byEpoch = panels.get(0);
    assertThat(curves(byEpoch, "training", 0)).hasSize(1);
    assertThat(curves(byEpoch, "held-out", 0)).hasSize(1);
    assertThat(curves(byEpoch, "training", 1)).hasSize(1);
    assertThat(curves(byEpoch, "held-out", 1)).hasSize(1);
    assertThat(elements(byEpoch, ".//path[@class='curve']")).hasSize(4);
    assertThat(points(curves(byEpoch, "held-out", 0).get(0))).hasSize(5);
    assertThat(points(curves(byEpoch, "training", 0).get(0))).hasSize(5);
    assertThat(points(curves(byEpoch, "held-out", 1).get(0))).hasSize(3);
    assertThat(points(curves(byEpoch, "training", 1).get(0))).hasSize(3);
    assertCovers(byEpoch, 5, 1.5, 3.6);

    // Right: held-out against wall time only.
    Element byTime = panels.get(1);
    assertThat(elements(byTime, ".//path[@class='curve']")).hasSize(2);
    assertThat(curves(byTime, "training", 0)).isEmpty();
    assertThat(points(curves(byTime, "held-out", 0).get(0))).hasSize(5);
    assertThat(points(curves(byTime, "held-out", 1).get(0))).hasSize(3);
    assertCovers(byTime, 4500, 1.62, 3.4);

    for (Element panel : panels) {
      for (Element curve : elements(panel, ".//path[@class='curve']")) {
        List<double[]> p = points(curve);
        for (int i = 1; i < p.size(); i++) {
          assertThat(p.get(i)[0]).as("x grows with the epoch").isGreaterThan(p.get(i - 1)[0]);
        }
      }
      // The lowest held-out loss of A (epoch 4) is the lowest point: the largest SVG y.
      List<double[]> heldOut = points(curves(panel, "held-out", 0).get(0));
      int lowest = 0;
      for (int i = 0; i < heldOut.size(); i++) {
        lowest = heldOut.get(i)[1] > heldOut.get(lowest)[1] ? i : lowest;
      }
      assertThat(lowest + 1).isEqualTo(4);
    }
  }

  @Test
  void aRunWithoutHeldOutLossHasOnlyItsTrainingCurve() throws Exception {
    Path a = write("a.json", result("reference", A_TRAIN, null, 60));
    Path svg = dir.resolve("train-only.svg");
    Run run = LocalCommandsTest.run("bench", "table", "--plot", svg.toString(), a.toString());
    assertThat(run.status()).as(run.err()).isZero();
    Document doc = parse(svg);
    List<Element> panels = elements(doc, "//g[@class='panel']");
    assertThat(elements(panels.get(0), ".//path[@class='curve']")).hasSize(1);
    assertThat(points(curves(panels.get(0), "training", 0).get(0))).hasSize(5);
    assertThat(elements(panels.get(1), ".//path[@class='curve']")).isEmpty();
    assertThat(text(doc, "//g[@class='legend']")).contains("no held-out loss");
  }

  @Test
  void aFileThatIsNotAResultFileIsNamedWithWhatItLacks() throws Exception {
    Path good = write("good.json", result("reference", A_TRAIN, A_VAL, 60));
    Path svg = dir.resolve("never.svg");

    ObjectNode serve =
        JSON.createObjectNode().put("benchmark", "serve").put("system", "charstream");
    Run noEpochs = plot(svg, good, write("serve.json", serve));
    assertThat(noEpochs.status()).isEqualTo(2);
    assertThat(noEpochs.err())
        .contains("charstream bench table: " + dir.resolve("serve.json"))
        .contains("is not a bench table result file")
        .contains("no preset, no corpus.name, no config.val_split, no epochs[]")
        .contains("results/README.md");

    ObjectNode old = result("reference", A_TRAIN, A_VAL, 60);
    ((ObjectNode) old.path("epochs").get(1)).remove("elapsed_s");
    Run noElapsed = plot(svg, write("old.json", old));
    assertThat(noElapsed.status()).isEqualTo(2);
    assertThat(noElapsed.err())
        .contains(dir.resolve("old.json") + " is not a bench table result file")
        .contains("epochs[1] has no number elapsed_s");

    Run notJson = plot(svg, write("notes.json", "epoch 1: loss 2.9\n"));
    assertThat(notJson.status()).isEqualTo(2);
    assertThat(notJson.err()).contains(dir.resolve("notes.json") + " is not a bench table result");
    assertThat(notJson.err()).contains("it is not JSON");

    Run missing = plot(svg, dir.resolve("nowhere.json"));
    assertThat(missing.status()).isEqualTo(2);
    assertThat(missing.err()).contains("no such result file: " + dir.resolve("nowhere.json"));

    Run none = LocalCommandsTest.run("bench", "table", "--plot", svg.toString());
    assertThat(none.status()).isEqualTo(2);
    assertThat(none.err()).contains("--plot needs result files");

    Run stray = LocalCommandsTest.run("bench", "table", good.toString());
    assertThat(stray.status()).isEqualTo(2);
    assertThat(stray.err()).contains("drawn by --plot");

    assertThat(svg).doesNotExist();
  }

  @Test
  void axesEndOnRoundTicks() {
    LossPlot.Axis loss = LossPlot.Axis.covering(1.187, 2.948, 6, false);
    assertThat(loss.lo()).isEqualByComparingTo("1.0");
    assertThat(loss.hi()).isEqualByComparingTo("3.0");
    assertThat(loss.step()).isEqualByComparingTo("0.5");
    assertThat(loss.ticks().stream().map(loss::label))
        .containsExactly("1.0", "1.5", "2.0", "2.5", "3.0");
    LossPlot.Axis epochs = LossPlot.Axis.covering(0, 10, 7, true);
    assertThat(epochs.step()).isEqualByComparingTo("2");
    assertThat(epochs.hi()).isEqualByComparingTo("10");
    LossPlot.Axis twoEpochs = LossPlot.Axis.covering(0, 2, 7, true);
    assertThat(twoEpochs.step()).isEqualByComparingTo("1");
    LossPlot.Axis seconds = LossPlot.Axis.covering(0, 1943.9, 6, false);
    assertThat(seconds.ticks().stream().map(seconds::label))
        .containsExactly("0", "500", "1000", "1500", "2000");
    LossPlot.Axis fine = LossPlot.Axis.covering(1.32, 1.46, 6, false);
    assertThat(fine.ticks().stream().map(fine::label))
        .containsExactly("1.300", "1.325", "1.350", "1.375", "1.400", "1.425", "1.450", "1.475");
  }

  private Run plot(Path svg, Path... files) {
    List<String> args = new ArrayList<>(List.of("bench", "table", "--plot", svg.toString()));
    Arrays.stream(files).map(Path::toString).forEach(args::add);
    return LocalCommandsTest.run(args.toArray(String[]::new));
  }

  /**
   * Every curve point lies inside the plot area, and the tick labels reach from at most the
   * smallest value to at least the largest on both axes.
   */
  private static void assertCovers(Element panel, double xMax, double yMin, double yMax)
      throws Exception {
    Element area = elements(panel, ".//rect[@class='plot-area']").get(0);
    double left = attr(area, "x");
    double top = attr(area, "y");
    double right = left + attr(area, "width");
    double bottom = top + attr(area, "height");
    for (Element curve : elements(panel, ".//path[@class='curve']")) {
      for (double[] p : points(curve)) {
        assertThat(p[0]).isBetween(left, right);
        assertThat(p[1]).isBetween(top, bottom);
      }
    }
    List<Double> xTicks = numbers(elements(panel, ".//text[@class='x-tick']"));
    List<Double> yTicks = numbers(elements(panel, ".//text[@class='y-tick']"));
    assertThat(xTicks.get(0)).isLessThanOrEqualTo(0.0);
    assertThat(xTicks.get(xTicks.size() - 1)).isGreaterThanOrEqualTo(xMax);
    assertThat(yTicks.get(0)).isLessThanOrEqualTo(yMin);
    assertThat(yTicks.get(yTicks.size() - 1)).isGreaterThanOrEqualTo(yMax);
  }

  static Document parse(Path svg) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    Document doc = f.newDocumentBuilder().parse(svg.toFile());
    assertThat(doc.getDocumentElement().getTagName()).isEqualTo("svg");
    assertThat(doc.getDocumentElement().getAttribute("xmlns"))
        .isEqualTo("http://www.w3.org/2000/svg");
    return doc;
  }

  private static List<Element> curves(Element panel, String series, int result) throws Exception {
    return elements(
        panel,
        ".//path[@class='curve' and @data-series='"
            + series
            + "' and @data-result='"
            + result
            + "']");
  }

  static List<Element> elements(Node root, String xpath) throws Exception {
    NodeList nodes =
        (NodeList)
            XPathFactory.newInstance().newXPath().evaluate(xpath, root, XPathConstants.NODESET);
    List<Element> out = new ArrayList<>();
    for (int i = 0; i < nodes.getLength(); i++) {
      out.add((Element) nodes.item(i));
    }
    return out;
  }

  private static String text(Node root, String xpath) throws Exception {
    return elements(root, xpath).get(0).getTextContent();
  }

  /** The (x, y) of each M / L command of the path. */
  static List<double[]> points(Element path) {
    List<double[]> out = new ArrayList<>();
    for (String command : path.getAttribute("d").split("(?=[ML])")) {
      assertThat(command).matches("[ML]-?[0-9.]+,-?[0-9.]+");
      String[] xy = command.substring(1).split(",");
      out.add(new double[] {Double.parseDouble(xy[0]), Double.parseDouble(xy[1])});
    }
    return out;
  }

  private static double attr(Element e, String name) {
    return Double.parseDouble(e.getAttribute(name));
  }

  private static List<Double> numbers(List<Element> texts) {
    return texts.stream().map(t -> new BigDecimal(t.getTextContent()).doubleValue()).toList();
  }
}
