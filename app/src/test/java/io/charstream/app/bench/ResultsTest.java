package io.charstream.app.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The committed benchmark results (results/*.json) have the keys other tools read, a complete
 * curve, and every number the README's table shows comes from them.
 */
class ResultsTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final ObjectMapper JSON = new ObjectMapper();

  static List<JsonNode> results() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(ROOT.resolve("results"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
        out.add(JSON.readTree(f.toFile()));
      }
    }
    return out;
  }

  @Test
  void everyResultHasTheDocumentedKeysAndAWholeCurve() throws IOException {
    List<JsonNode> results = results();
    assertThat(results).isNotEmpty();
    for (JsonNode r : results) {
      String name =
          r.path("corpus").path("name").asText()
              + "-"
              + r.path("system").asText()
              + "-"
              + r.path("preset").asText();
      assertThat(r.path("preset").asText())
          .as(name)
          .isIn("reference", "recommended", "fast", "large");
      assertThat(r.path("corpus").path("sha256").asText()).as(name).hasSize(64);
      assertThat(r.path("total_duration_s").asDouble()).as(name).isPositive();
      assertThat(r.path("git_commit").asText()).as(name).matches("[0-9a-f]{40}");
      assertThat(r.path("machine").path("cores").asInt()).as(name).isPositive();
      JsonNode epochs = r.path("epochs");
      assertThat(epochs.size()).as(name).isEqualTo(r.path("config").path("num_epochs").asInt());
      for (int i = 0; i < epochs.size(); i++) {
        JsonNode e = epochs.get(i);
        assertThat(e.path("epoch").asInt()).as(name).isEqualTo(i + 1);
        assertThat(e.path("duration_s").asDouble()).as(name).isPositive();
        assertThat(e.path("train_loss").asDouble()).as(name).isBetween(0.5, 5.0);
        assertThat(e.path("val_loss").asDouble()).as(name).isBetween(0.5, 5.0);
      }
      assertThat(r.path("final_train_loss").asDouble())
          .as(name)
          .isEqualTo(epochs.get(epochs.size() - 1).path("train_loss").asDouble());
    }
  }

  @Test
  void tinyshakespeareHasBothPresetsAndAnotherCorpusIsMeasured() throws IOException {
    List<String> runs =
        results().stream()
            .filter(r -> r.path("system").asText().equals("charstream"))
            .map(r -> r.path("corpus").path("name").asText() + "/" + r.path("preset").asText())
            .toList();
    assertThat(runs).contains("tinyshakespeare/reference", "tinyshakespeare/recommended");
    assertThat(runs.stream().filter(r -> !r.startsWith("tinyshakespeare/"))).isNotEmpty();
  }

  /** A README line that draws a committed plot: the SVG, then the result files in colour order. */
  private static final Pattern PLOT_COMMAND =
      Pattern.compile(
          "\\./charstream bench table --plot (results/[^ ]+\\.svg)((?: results/[^ ]+\\.json)+)");

  @Test
  void theCommittedPlotsAreWhatTheReadmesCommandsDrawFromEveryResultFile() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    Matcher command = PLOT_COMMAND.matcher(readme);
    List<String> plots = new ArrayList<>();
    Set<Path> plotted = new TreeSet<>();
    while (command.find()) {
      String svg = command.group(1);
      List<ResultCurves> curves = new ArrayList<>();
      for (String file : command.group(2).trim().split(" ")) {
        curves.add(ResultCurves.read(ROOT.resolve(file)));
        plotted.add(ROOT.resolve(file));
      }
      assertThat(Files.readString(ROOT.resolve(svg)))
          .as(svg + " should be what `" + command.group() + "` draws: run it")
          .isEqualTo(LossPlot.svg(curves));
      assertThat(readme).as("README.md shows " + svg).contains("](" + svg + ")");
      plots.add(svg);
    }
    assertThat(plots).contains("results/tinyshakespeare.svg", "results/nietzsche.svg");
    try (Stream<Path> files = Files.list(ROOT.resolve("results"))) {
      assertThat(plotted)
          .as("every result file is in a plot of the README")
          .containsExactlyElementsOf(
              files.filter(p -> p.toString().endsWith(".json")).sorted().toList());
    }
  }

  @Test
  void theReadmeTableIsGeneratedFromTheResultFiles() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    for (String row : BenchTableCommand.markdownRows(results())) {
      assertThat(readme)
          .as("README.md should contain the row printed by `bench table --markdown results/*.json`")
          .contains(row);
    }
  }
}
