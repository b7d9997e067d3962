package io.charstream.app.console;

import io.charstream.app.it.Chromium;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Takes the README's screenshot of a running console: opens the page in headless chromium, sends
 * one prompt from the playground, waits for the whole answer, and writes a PNG. Not a test; run by
 * hand against {@code charstream up} (docs/console.md says how):
 *
 * <pre>
 * java -cp ... io.charstream.app.console.ConsoleScreenshot URL OUT.png [PROMPT] [LENGTH] [MODEL]
 * </pre>
 */
public final class ConsoleScreenshot {
  private ConsoleScreenshot() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    Path out = Path.of(args[1]);
    String prompt = args.length > 2 ? args[2] : "ROMEO:";
    int length = args.length > 3 ? Integer.parseInt(args[3]) : 400;
    String model = args.length > 4 ? args[4] : "";
    try (Chromium browser =
        Chromium.launch(Files.createTempDirectory("console-shot"), 1400, 1200)) {
      browser.navigate(url);
      ConsolePage page = new ConsolePage(browser);
      page.awaitLive();
      page.prompt(prompt, length, 7L, model);
      ConsolePage.Answer answer = page.awaitAnswer();
      if (!answer.state().equals("done")) throw new IllegalStateException(answer.text());
      browser.screenshot(out);
    }
  }
}
