package io.charstream.app.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.charstream.app.it.Await;
import io.charstream.app.it.Chromium;
import java.time.Duration;

/**
 * The console page as a user works it, in a real browser: fill a form and press its button, read
 * what the page shows. Reads the page's DOM only (the curve's SVG, the answer box, the status
 * lines), never the script's variables, so what passes here is what a person sees.
 */
final class ConsolePage {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(120);

  private final Chromium browser;

  ConsolePage(Chromium browser) {
    this.browser = browser;
  }

  /** What one job's card shows. */
  record JobCard(String state, int trainPoints, int valPoints, String stats) {}

  /** What the answer box shows. */
  record Answer(String state, String prompt, String text, int events, String info) {}

  /** Waits until the page has its live feed and has read the topics' history. */
  void awaitLive() {
    Await.until(
        WAIT,
        "the console page to be live",
        () -> "live".equals(eval("document.getElementById('conn').textContent").asText()));
  }

  /** Sends a prompt from the playground with the model the generators default to. */
  void prompt(String prompt, int length, Long seed, String model) {
    eval(
        "(() => {"
            + set("prompt", prompt)
            + set("prompt-length", String.valueOf(length))
            + set("prompt-seed", seed == null ? "" : String.valueOf(seed))
            + set("prompt-model", model)
            + "document.getElementById('prompt-send').click(); return true; })()");
  }

  /** Waits until the answer box shows a finished answer (or an error) and returns it. */
  Answer awaitAnswer() {
    Await.until(
        WAIT,
        "the playground's answer to finish",
        () -> {
          String s = answer().state();
          return s.equals("done") || s.equals("error");
        });
    return answer();
  }

  Answer answer() {
    JsonNode a =
        eval(
            "(() => { const a = document.getElementById('answer'); return {state: a.dataset.state,"
                + " prompt: document.getElementById('answer-prompt').textContent,"
                + " text: document.getElementById('answer-text').textContent,"
                + " events: Number(a.dataset.chunks),"
                + " info: document.getElementById('prompt-info').textContent}; })()");
    return new Answer(
        a.path("state").asText(),
        a.path("prompt").asText(),
        a.path("text").asText(),
        a.path("events").asInt(),
        a.path("info").asText());
  }

  /** The corpus ids the training form offers. */
  JsonNode corpusChoices() {
    return eval(
        "[...document.getElementById('train-corpus').options].map(o => o.value).filter(v => v)");
  }

  /** Fills the training form and presses its button. */
  void submitTraining(String modelId, String corpusId, String preset, int epochs, String extra) {
    eval(
        "(() => {"
            + set("train-model", modelId)
            + set("train-corpus", corpusId)
            + set("train-preset", preset)
            + set("train-epochs", String.valueOf(epochs))
            + set("train-extra", extra)
            + "document.getElementById('train-send').click(); return true; })()");
  }

  /** The training form's status line: [data-state, text]. */
  String[] trainStatus() {
    JsonNode s =
        eval(
            "(() => { const s = document.getElementById('train-status');"
                + " return [s.dataset.state, s.textContent]; })()");
    return new String[] {s.get(0).asText(), s.get(1).asText()};
  }

  /** The job's card, or null while the page shows none. */
  JobCard job(String jobId) {
    JsonNode j =
        eval(
            "(() => { const c = [...document.querySelectorAll('#jobs article.job')]"
                + ".find(a => a.dataset.jobId === "
                + quote(jobId)
                + "); if (!c) return null;"
                + " const n = (cls) => Number(c.querySelector('svg.curve polyline.' + cls)"
                + ".getAttribute('data-points'));"
                + " const pts = (cls) => c.querySelector('svg.curve polyline.' + cls)"
                + ".getAttribute('points').trim().split(/\\s+/).filter(s => s).length;"
                + " if (n('train') !== pts('train') || n('val') !== pts('val')) return 'mismatch';"
                + " return {state: c.dataset.state, train: n('train'), val: n('val'),"
                + " stats: c.querySelector('.stats').textContent}; })()");
    if (j.isNull()) return null;
    if (j.isTextual())
      throw new AssertionError("a curve draws another number of points than it says");
    return new JobCard(
        j.path("state").asText(),
        j.path("train").asInt(),
        j.path("val").asInt(),
        j.path("stats").asText());
  }

  JsonNode eval(String js) {
    try {
      return browser.eval(js);
    } catch (Exception e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** Sets a form field as typing would (and fires input/change, as a user's edit does). */
  private static String set(String id, String value) {
    return "{ const e = document.getElementById('"
        + id
        + "'); e.value = "
        + quote(value)
        + "; e.dispatchEvent(new Event('input', {bubbles: true}));"
        + " e.dispatchEvent(new Event('change', {bubbles: true})); }";
  }

  private static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
