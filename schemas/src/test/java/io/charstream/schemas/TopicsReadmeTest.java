package io.charstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.schemas.json.JsonSerde;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The README's topic table is the registry's: a change in one without the other fails here. */
class TopicsReadmeTest {
  static final Map<String, String> KEYS =
      Map.of(
          "corpus",
          "corpusId",
          "corpora",
          "corpusId",
          "training-requests",
          "modelId",
          "training-control",
          "jobId",
          "training-status",
          "jobId",
          "checkpoints",
          "modelId",
          "training-state",
          "modelId",
          "generate-requests",
          "requestId",
          "generate-responses",
          "requestId");

  static String row(Topic<?, ?> t) {
    TopicSettings s = t.settings();
    boolean dlq = t.logicalName().endsWith(Topics.DLQ_SUFFIX);
    String value = dlq ? "original bytes + error headers" : "`" + schemaName(t) + "`";
    long days = s.retentionMs() / TopicSettings.DAY_MS;
    String retention = s.retentionMs() < 0 ? "forever" : days + (days == 1 ? " day" : " days");
    return "| `"
        + t.name()
        + "` | "
        + (dlq ? "original key" : KEYS.get(t.logicalName()))
        + " | "
        + value
        + " | "
        + s.partitions()
        + " | "
        + s.cleanupPolicy()
        + " | "
        + retention
        + " | "
        + s.maxMessageBytes()
        + " |";
  }

  static String schemaName(Topic<?, ?> t) {
    String simple = ((JsonSerde<?>) t.valueSerde()).type().getSimpleName();
    return simple.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase();
  }

  @Test
  void readmeTableMatchesTheRegistry() throws IOException {
    String readme = Files.readString(Path.of("README.md"));
    String table =
        readme.substring(
            readme.indexOf("<!-- topics-table"), readme.indexOf("<!-- end topics-table"));
    long rows = table.lines().filter(l -> l.startsWith("| `")).count();
    assertThat(rows).isEqualTo(Topics.defaults().all().size());
    for (Topic<?, ?> t : Topics.defaults().all()) {
      assertThat(table).contains(row(t));
    }
  }
}
