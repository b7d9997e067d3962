package io.charstream.app.stack;

import io.charstream.schemas.Topics;
import java.nio.file.Path;

/**
 * What {@code charstream up} prints: where everything runs and how to drive it from another
 * terminal.
 */
final class UsageHints {
  private UsageHints() {}

  /**
   * @param console the console's address ({@code http://127.0.0.1:8080/}), or null when it is off
   */
  static String up(EmbeddedStack stack, Path dataDir, String console) {
    return up(
        stack.bootstrapServers(),
        stack.topics(),
        stack.broker().isPresent() ? dataDir : null,
        console,
        stack.trainer().map(t -> t.httpPort()).orElse(-1));
  }

  /**
   * @param dataDir the embedded broker's data directory, or null when the stack uses an external
   *     cluster
   * @param http the console's port on 127.0.0.1 (it answers the generator's endpoints too), or -1
   *     for none
   * @param trainerHttp the trainer's HTTP port, or -1 for none
   */
  static String up(String bs, Topics t, Path dataDir, int http, int trainerHttp) {
    return up(bs, t, dataDir, http <= 0 ? null : "http://127.0.0.1:" + http + "/", trainerHttp);
  }

  private static String up(String bs, Topics t, Path dataDir, String console, int trainerHttp) {
    // Client commands need the address only when it is not their default.
    String flags = bs.equals("127.0.0.1:9092") ? "" : " --bootstrap-servers " + bs;
    String prefix = t.prefix().equals(Topics.DEFAULT_PREFIX) ? "" : " --topic-prefix " + t.prefix();
    String cs = "./charstream";
    StringBuilder sb = new StringBuilder();
    sb.append("charstream up: ");
    sb.append(
        dataDir != null
            ? "Kafka broker on " + bs + " (data in " + dataDir + ")"
            : "workers on the Kafka cluster at " + bs);
    sb.append(", trainer and generator running");
    java.util.List<String> endpoints = new java.util.ArrayList<>();
    if (console != null) endpoints.add("generator " + console + "metrics");
    if (trainerHttp > 0) endpoints.add("trainer http://127.0.0.1:" + trainerHttp + "/metrics");
    if (!endpoints.isEmpty())
      sb.append(" (metrics, /livez, /readyz: ").append(String.join(", ", endpoints)).append(')');
    sb.append(".\n");
    if (console != null) {
      sb.append("\nOpen the console: ")
          .append(console)
          .append(" (training jobs and loss curves, models, a prompt playground).\n")
          .append("HTTP API (OpenAI-style):\n  curl -s ")
          .append(console)
          .append("v1/completions -d '{\"prompt\":\"ROMEO:\",\"max_tokens\":100}'\n");
    }
    sb.append("\nDrive it from another terminal:\n");
    sb.append("  ")
        .append(cs)
        .append(" corpus put")
        .append(flags)
        .append(prefix)
        .append(" --corpus-id shakespeare data/tinyshakespeare.txt\n");
    sb.append("  ")
        .append(cs)
        .append(" submit")
        .append(flags)
        .append(prefix)
        .append(" --corpus-id shakespeare --model-id default --num-epochs 1 --follow\n");
    sb.append("  ").append(cs).append(" status").append(flags).append(prefix).append('\n');
    sb.append("  ")
        .append(prefix.isEmpty() ? "" : "CHARSTREAM_TOPIC_PREFIX=" + t.prefix() + " ")
        .append(cs)
        .append(" prompt")
        .append(flags)
        .append(" --model-id default --seed \"KING RICHARD\" --length 200\n");
    sb.append(
        "or with kcat (any Kafka client works; messages are plain JSON, see docs/demo.md):\n");
    sb.append(
            "  echo '{\"schemaVersion\":1,\"requestId\":\"r1\",\"prompt\":\"KING RICHARD\",\"modelId\":\"default\","
                + "\"length\":200}' \\\n    | kcat -b ")
        .append(bs)
        .append(" -P -t ")
        .append(t.generateRequests().name())
        .append(" -k r1\n");
    sb.append("  kcat -b ")
        .append(bs)
        .append(" -C -t ")
        .append(t.generateResponses().name())
        .append(" -X isolation.level=read_committed -o beginning -e -f '%k %s\\n'\n");
    sb.append("Topics: ")
        .append(t.prefix())
        .append(
            "{corpus, training-requests, training-status, checkpoints, "
                + "generate-requests, generate-responses, ...}.\n");
    sb.append(
        dataDir != null
            ? "Ctrl-C stops everything; "
                + dataDir
                + " keeps the corpora, jobs and models for the "
                + "next charstream up."
            : "Ctrl-C stops both workers; running jobs are handed over to other trainers.");
    return sb.toString();
  }
}
