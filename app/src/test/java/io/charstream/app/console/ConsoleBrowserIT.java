package io.charstream.app.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.charstream.app.client.CorpusUploader;
import io.charstream.app.it.Await;
import io.charstream.app.it.Chromium;
import io.charstream.app.it.KafkaBroker;
import io.charstream.app.it.Stacks;
import io.charstream.app.stack.EmbeddedStack;
import io.charstream.generator.GeneratorConfig;
import io.charstream.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console in a real browser (Debian's headless chromium) against a real broker, trainer and
 * generator, as {@code charstream up} runs them: a corpus uploaded elsewhere appears in the page's
 * training form; a training request submitted from the page is accepted; its loss curve gains
 * points while the job trains; a prompt from the playground streams in. Screenshots go to {@code
 * target/console-screenshots/}. Fails when chromium is missing (it never skips).
 */
class ConsoleBrowserIT {
  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();

  private static final Duration WAIT = Duration.ofSeconds(180);
  private static final Set<String> RUNNING = Set.of("accepted", "progress", "checkpoint");
  private static final String TEXT =
      "First Citizen:\nBefore we proceed any further, hear me speak.\n\n"
          + "All:\nSpeak, speak.\n\n"
          + "First Citizen:\nYou are all resolved rather to die than to famish?\n\n";
  private static final int EPOCHS = 25;

  /** Long enough that generating it outlasts several commits, so it arrives in chunks. */
  private static final int ANSWER_CHARS = 30_000;

  private static final Path SHOTS = Path.of("target", "console-screenshots");

  @TempDir Path profile;

  @Test
  void thePageTrainsAModelDrawsItsCurveLiveAndStreamsItsAnswer() throws Exception {
    Topics topics = KAFKA.newTopics();
    EmbeddedStack.Options options =
        Stacks.workers(
            KAFKA,
            topics,
            Map.of(
                GeneratorConfig.MODEL_DEFAULT_ID,
                "web",
                GeneratorConfig.COMMIT_INTERVAL_MS,
                5,
                GeneratorConfig.LENGTH_MAX,
                ANSWER_CHARS));
    try (EmbeddedStack stack = EmbeddedStack.start(options);
        Console console =
            Console.start(
                ConsoleConfig.from(
                    options
                        .settings()
                        .config(ConsoleConfig.DEF, Map.of(ConsoleConfig.HTTP_PORT, 0))),
                stack.clientProps(),
                stack.generator());
        Chromium browser = Chromium.launch(profile, 1400, 1300)) {
      browser.navigate(console.url());
      ConsolePage page = new ConsolePage(browser);
      page.awaitLive();

      // A corpus uploaded with another client shows up in the form, from the trainer's index.
      new CorpusUploader(stack.clientProps(), topics).upload("tiny", TEXT.repeat(30), n -> {});
      Await.until(
          WAIT,
          "the corpus in the training form",
          () -> page.corpusChoices().toString().contains("\"tiny\""));

      // Submitted from the page: a small network, so each epoch takes a moment.
      page.submitTraining(
          "web",
          "tiny",
          "reference",
          EPOCHS,
          "{\"seqLen\":16,\"embeddingSize\":8,\"rnnSize\":16,\"numLayers\":1,\"batchSize\":4,"
              + "\"learningRate\":0.01,\"valFraction\":0.1,\"seed\":3}");
      String[] status =
          Await.value(
              WAIT,
              "the page to say the job was accepted",
              () -> {
                String[] s = page.trainStatus();
                return s[0].equals("accepted") || s[0].equals("rejected") || s[0].equals("error")
                    ? s
                    : null;
              });
      assertThat(status[0]).as(status[1]).isEqualTo("accepted");
      String jobId = status[1].replaceFirst("^Job (\\S+) accepted.*$", "$1");
      assertThat(jobId).startsWith("web-");

      // The curve gains points while the job runs: two looks at the running job, the second with
      // more points on the training curve than the first.
      List<ConsolePage.JobCard> looks = new ArrayList<>();
      ConsolePage.JobCard done =
          Await.value(
              WAIT,
              "the job to complete",
              () -> {
                ConsolePage.JobCard j = page.job(jobId);
                if (j != null) looks.add(j);
                return j != null && !RUNNING.contains(j.state()) ? j : null;
              });
      List<ConsolePage.JobCard> running =
          looks.stream().filter(j -> RUNNING.contains(j.state()) && j.trainPoints() > 0).toList();
      assertThat(running).as("looks at the running job with a curve: %s", looks).isNotEmpty();
      assertThat(running.get(running.size() - 1).trainPoints())
          .as("points on the curve, first and last look while it ran: %s", looks)
          .isGreaterThan(running.get(0).trainPoints());
      assertThat(done.state()).as(done.stats()).isEqualTo("completed");
      assertThat(done.trainPoints()).isGreaterThanOrEqualTo(EPOCHS);
      assertThat(done.valPoints()).isEqualTo(EPOCHS);
      assertThat(done.stats()).contains("epoch " + EPOCHS + "/" + EPOCHS).contains("held-out");
      browser.screenshot(SHOTS.resolve("trained.png"));

      // The answer streams in: the text grows in several steps before it is whole.
      Await.until(
          WAIT,
          "the generator to serve the trained model",
          () ->
              page.eval("document.getElementById('served-by').textContent")
                  .asText()
                  .contains("web@"));
      page.eval(
          "window.__lengths = []; new MutationObserver(() => window.__lengths.push("
              + "document.getElementById('answer-text').textContent.length)).observe("
              + "document.getElementById('answer-text'), {childList: true, characterData: true,"
              + " subtree: true}); true");
      page.prompt("First", ANSWER_CHARS, 5L, "");
      ConsolePage.Answer answer = page.awaitAnswer();
      assertThat(answer.state()).as(answer.text()).isEqualTo("done");
      assertThat(answer.prompt()).isEqualTo("First");
      assertThat(answer.text().codePointCount(0, answer.text().length())).isEqualTo(ANSWER_CHARS);
      assertThat(answer.info()).contains("web@" + EPOCHS).contains("finish: length");
      List<Integer> lengths = new ArrayList<>();
      page.eval("window.__lengths").forEach(n -> lengths.add(n.asInt()));
      List<Integer> partial =
          lengths.stream().filter(n -> n > 0 && n < answer.text().length()).toList();
      assertThat(partial).as("text lengths the page showed on the way: %s", lengths).isNotEmpty();
      assertThat(lengths).as("the text only grows").isSorted();
      assertThat(answer.events()).as("SSE events that carried text").isGreaterThanOrEqualTo(3);
      browser.screenshot(SHOTS.resolve("console.png"));
      System.out.printf(
          "ConsoleBrowserIT: %d looks at the running job (curve %d -> %d points), completed with %d;"
              + " answer of %d chars in %d events, lengths seen on the way: %d%n",
          running.size(),
          running.get(0).trainPoints(),
          running.get(running.size() - 1).trainPoints(),
          done.trainPoints(),
          ANSWER_CHARS,
          answer.events(),
          partial.size());
    }
  }
}
