package io.charstream.app.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.charstream.app.Main;
import io.charstream.schemas.Topics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** What {@code charstream up} prints about how to drive it. */
class UsageHintsTest {
  @Test
  void theEmbeddedDefaultNeedsNoFlagsAndNamesTheDataDirectory() {
    String s =
        UsageHints.up(
            "127.0.0.1:9092", Topics.defaults(), Path.of("/home/u/.charstream"), 8080, 8081);
    assertThat(s)
        .startsWith("charstream up: Kafka broker on 127.0.0.1:9092 (data in /home/u/.charstream)")
        .contains(
            "(metrics, /livez, /readyz: generator http://127.0.0.1:8080/metrics,"
                + " trainer http://127.0.0.1:8081/metrics)")
        .contains("./charstream corpus put --corpus-id shakespeare data/tinyshakespeare.txt")
        .contains("./charstream prompt --model-id default --seed \"KING RICHARD\"")
        .contains("kcat -b 127.0.0.1:9092 -P -t charstream.generate-requests -k r1")
        .contains(
            "kcat -b 127.0.0.1:9092 -C -t charstream.generate-responses -X isolation.level=read_committed")
        .doesNotContain("--bootstrap-servers");
  }

  @Test
  void anotherPortOrPrefixIsSpelledOutInEveryCommand() {
    String s = UsageHints.up("127.0.0.1:19092", new Topics("team-a."), null, -1, -1);
    assertThat(s)
        .startsWith("charstream up: workers on the Kafka cluster at 127.0.0.1:19092")
        .contains(
            "./charstream submit --bootstrap-servers 127.0.0.1:19092 --topic-prefix team-a. --corpus-id")
        .contains(
            "CHARSTREAM_TOPIC_PREFIX=team-a. ./charstream prompt --bootstrap-servers 127.0.0.1:19092")
        .contains("-t team-a.generate-requests")
        .doesNotContain("/metrics");
    assertEveryCommandParses(s);
  }

  @Test
  void everyCharstreamCommandItPrintsIsARealCommandLine() {
    assertEveryCommandParses(
        UsageHints.up("127.0.0.1:9092", Topics.defaults(), Path.of("/d"), 8080, 8081));
  }

  /** Each "./charstream ..." line parses with the real command line: no renamed command or flag. */
  private static void assertEveryCommandParses(String hints) {
    List<String> commands =
        hints
            .lines()
            .map(String::strip)
            .filter(l -> l.contains("./charstream "))
            .map(l -> l.substring(l.indexOf("./charstream ") + "./charstream ".length()))
            .toList();
    assertThat(commands).hasSize(4);
    for (String c : commands) {
      List<String> args = new ArrayList<>();
      Matcher m = Pattern.compile("\"([^\"]*)\"|(\\S+)").matcher(c);
      while (m.find()) args.add(m.group(1) != null ? m.group(1) : m.group(2));
      assertThatCode(() -> Main.newCommandLine().parseArgs(args.toArray(String[]::new)))
          .as(c)
          .doesNotThrowAnyException();
    }
  }
}
