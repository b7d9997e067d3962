package io.charstream.app.client;

import io.charstream.app.cli.CliCommand;
import io.charstream.app.cli.ClientOptions;
import io.charstream.app.cli.ProgressBar;
import io.charstream.app.cli.UserError;
import io.charstream.schemas.Topics;
import io.charstream.schemas.config.CommonKeys;
import io.charstream.schemas.config.EnvConfig;
import io.charstream.schemas.json.Checks;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code charstream corpus put}: publish a corpus to Kafka for training. */
@Command(
    name = "corpus",
    mixinStandardHelpOptions = true,
    description = "Manage training corpora on Kafka.",
    subcommands = {CorpusCommand.Put.class})
public final class CorpusCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }

  @Command(
      name = "put",
      mixinStandardHelpOptions = true,
      description = {
        "Upload a UTF-8 text file as corpus ID (ordered 256 KiB chunks with a SHA-256).",
        "A later upload with the same id replaces it once complete."
      })
  public static final class Put extends CliCommand {
    @Mixin ClientOptions client;

    @Option(
        names = "--corpus-id",
        required = true,
        paramLabel = "ID",
        description = "Name of the corpus (1-128 of A-Z a-z 0-9 . _ : -).")
    String corpusId;

    @Parameters(paramLabel = "FILE", description = "UTF-8 text file.")
    Path file;

    @Override
    protected int run(PrintWriter err) {
      if (!Checks.ID.matcher(corpusId).matches()) {
        throw new UserError(
            "--corpus-id '"
                + corpusId
                + "' is not a valid id: use 1-128 characters of A-Z a-z 0-9 . _ : -");
      }
      String text;
      try {
        text = CorpusUploader.decodeUtf8(Files.readAllBytes(file), file.toString());
      } catch (IOException e) {
        throw new UserError("cannot read " + file + ": " + e.getMessage(), e);
      }
      if (text.isEmpty()) {
        throw new UserError(file + " is empty");
      }
      EnvConfig config = client.config();
      Topics topics = CommonKeys.topics(config);
      ProgressBar bar = new ProgressBar(System.err, ProgressBar.isTerminal());
      int total = (int) Math.ceil(text.length() / (double) CorpusUploader.CHUNK_BYTES);
      CorpusUploader.Result r =
          new CorpusUploader(config.kafkaClientProps(), topics)
              .upload(
                  corpusId,
                  text,
                  n -> {
                    if (ProgressBar.isTerminal())
                      bar.update(Math.min(1.0, n / (double) Math.max(total, n)), n + " chunks");
                  });
      bar.finish();
      System.out.println(
          String.format(
              Locale.ROOT,
              "corpus %s uploaded: %,d characters (%,d bytes) in %d chunks to %s in %.2f s (upload %s, sha256 %s)",
              r.corpusId(),
              r.chars(),
              r.bytes(),
              r.chunks(),
              topics.corpus().name(),
              r.took().toNanos() / 1e9,
              r.uploadId(),
              r.sha256()));
      return 0;
    }
  }
}
