package io.charstream.app.stack;

import io.charstream.app.cli.ProgressBar;
import io.charstream.app.client.CorpusUploader;
import io.charstream.app.client.StatusView;
import io.charstream.app.client.StatusWatcher;
import io.charstream.app.client.TrainingRequests;
import io.charstream.schemas.Topic;
import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.message.GenerateRequest;
import io.charstream.schemas.message.GenerateResponse;
import io.charstream.schemas.message.TrainingRequest;
import io.charstream.schemas.message.TrainingStatus;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * The demo's path through Kafka, as any client would walk it: publish a corpus to {@code corpus},
 * submit a training request to {@code training-requests}, follow the job on {@code training-status}
 * (a progress bar on a terminal), then send the seeds to {@code generate-requests} and print each
 * answer from {@code generate-responses} as it arrives. It only talks to Kafka, so the workers may
 * run in this JVM or anywhere on the cluster.
 */
public final class Demo {
  /**
   * Plain-output progress lines (not a terminal) at most this often, plus one at each epoch end.
   */
  static final Duration PLAIN_PROGRESS_EVERY = Duration.ofSeconds(10);

  /** How long a generator may take to load the new model version before the demo gives up on it. */
  static final Duration MODEL_LOAD_WAIT = Duration.ofSeconds(60);

  /** What the run produced, for the caller's summary and for tests. */
  public record Result(
      CorpusUploader.Result corpus,
      TrainingStatus.Completed completed,
      List<TrainingStatus> statuses,
      List<Answer> answers) {}

  /**
   * A seed and its final response; {@link #printed()} is what the user reads: the seed, then the
   * text.
   */
  public record Answer(String seed, GenerateResponse response) {
    public String printed() {
      return seed + response.text();
    }
  }

  private final Map<String, Object> clientProps;
  private final Topics topics;
  private final PrintStream out;
  private final boolean terminal;

  public Demo(Map<String, Object> clientProps, Topics topics, PrintStream out, boolean terminal) {
    this.clientProps = Map.copyOf(clientProps);
    this.topics = topics;
    this.out = out;
    this.terminal = terminal;
  }

  /**
   * Runs the plan on {@code text} (the whole corpus file; the plan cuts it).
   *
   * @param source how to name the corpus to the user (its path)
   */
  public Result run(DemoPlan plan, String text, String source)
      throws DemoException, InterruptedException {
    CorpusUploader.Result corpus = publishCorpus(plan, text, source);
    List<TrainingStatus> statuses = new ArrayList<>();
    TrainingStatus.Completed done = train(plan, statuses);
    List<Answer> answers = generate(plan, done.version());
    return new Result(corpus, done, statuses, answers);
  }

  private CorpusUploader.Result publishCorpus(DemoPlan plan, String text, String source) {
    String corpus = plan.cut(text);
    String corpusId = plan.training().corpusId();
    String share =
        corpus.length() == text.length()
            ? String.format(Locale.ROOT, "%,d chars", text.length())
            : String.format(
                Locale.ROOT,
                "first %,d of %,d chars; --corpus-chars 0 for all",
                corpus.length(),
                text.length());
    out.printf(
        Locale.ROOT,
        "[1/3] corpus: publishing %s (%s) as '%s' to %s%n",
        source,
        share,
        corpusId,
        topics.corpus().name());
    CorpusUploader.Result r =
        new CorpusUploader(clientProps, topics).upload(corpusId, corpus, n -> {});
    out.printf(
        Locale.ROOT,
        "      %d chunk(s), %,d bytes, sha256 %s..., in %.1f s%n",
        r.chunks(),
        r.bytes(),
        r.sha256().substring(0, 12),
        r.took().toMillis() / 1000.0);
    return r;
  }

  private TrainingStatus.Completed train(DemoPlan plan, List<TrainingStatus> seen)
      throws DemoException, InterruptedException {
    TrainingRequest request = plan.training();
    String jobId = request.jobId();
    try (StatusWatcher watcher =
        new StatusWatcher(clientProps, topics, s -> s.jobId().equals(jobId))) {
      watcher.fromEnd(); // before submitting, so no event of this job can be missed
      submit(request);
      out.printf(
          Locale.ROOT,
          "[2/3] training: job %s submitted to %s (key %s):%n      %s%n",
          jobId,
          topics.trainingRequests().name(),
          request.modelId(),
          new String(Json.write(request, TrainingRequest.class), StandardCharsets.UTF_8));
      return follow(watcher, plan, seen);
    }
  }

  private void submit(TrainingRequest request) throws InterruptedException, DemoException {
    Topic<String, TrainingRequest> topic = topics.trainingRequests();
    try {
      TrainingRequests.sendAcked(clientProps, topic, request.modelId(), request);
    } catch (ExecutionException e) {
      throw new DemoException(
          "could not send the training request to "
              + topic.name()
              + ": "
              + e.getCause().getMessage(),
          e.getCause());
    }
  }

  /** Prints the job's events until it completes; any other end is a {@link DemoException}. */
  private TrainingStatus.Completed follow(
      StatusWatcher watcher, DemoPlan plan, List<TrainingStatus> seen) throws DemoException {
    ProgressBar bar = new ProgressBar(out, terminal);
    long acceptDeadline = System.nanoTime() + plan.acceptTimeout().toNanos();
    long lastPlain = 0;
    boolean accepted = false;
    while (true) {
      for (TrainingStatus s : watcher.next(Duration.ofMillis(500))) {
        seen.add(s);
        accepted = true;
        if (s instanceof TrainingStatus.Progress p) {
          if (terminal) {
            bar.update(StatusView.fraction(p), StatusView.progressLabel(p));
          } else if (p.step() == p.stepsPerEpoch()
              || lastPlain == 0
              || System.nanoTime() - lastPlain >= PLAIN_PROGRESS_EVERY.toNanos()) {
            lastPlain = System.nanoTime();
            bar.println("      " + StatusView.progressLabel(p));
          }
          continue;
        }
        bar.println("      " + StatusView.line(s));
        if (s instanceof TrainingStatus.Completed c) {
          bar.finish();
          return c;
        }
        if (s.terminal()) {
          bar.finish();
          throw new DemoException(
              "training job " + s.jobId() + " did not complete: " + StatusView.line(s));
        }
      }
      if (!accepted && System.nanoTime() > acceptDeadline) {
        throw new DemoException(
            "no trainer took job "
                + plan.training().jobId()
                + " within "
                + plan.acceptTimeout().toSeconds()
                + " s: is a trainer running on this cluster (charstream trainer, "
                + "charstream up) with the same topic prefix '"
                + topics.prefix()
                + "'?");
      }
    }
  }

  /**
   * Sends every seed at once, pinned to the trained version, and prints each answer as it arrives.
   */
  private List<Answer> generate(DemoPlan plan, long version) throws DemoException {
    String modelId = plan.training().modelId();
    out.printf(
        Locale.ROOT,
        "[3/3] generating: %d prompt(s) to %s (model %s v%d, %d chars each, top-n %d); "
            + "answers from %s as they arrive:%n",
        plan.seeds().size(),
        topics.generateRequests().name(),
        modelId,
        version,
        plan.length(),
        plan.topN(),
        topics.generateResponses().name());
    Map<String, String> seedOf = new HashMap<>();
    List<GenerateRequest> pending = new ArrayList<>();
    for (int i = 0; i < plan.seeds().size(); i++) {
      GenerateRequest r =
          GenerateRequest.builder(
                  plan.training().jobId() + "-prompt-" + (i + 1), plan.seeds().get(i))
              .length(plan.length())
              .topN(plan.topN())
              .temperature(plan.temperature())
              .randomSeed(plan.randomSeed() + i)
              .model(modelId, version)
              .stream(false)
              .build();
      seedOf.put(r.requestId(), r.prompt());
      pending.add(r);
    }
    List<Answer> answers = new ArrayList<>();
    long modelDeadline = System.nanoTime() + MODEL_LOAD_WAIT.toNanos();
    try (PromptBatch batch = new PromptBatch(clientProps, topics)) {
      for (int attempt = 1; !pending.isEmpty(); attempt++) {
        Set<String> again = new HashSet<>();
        batch.run(
            pending,
            r -> {
              // The completed status can overtake the generator's loading of the checkpoint it
              // announces.
              if (isModelNotLoadedYet(r) && System.nanoTime() < modelDeadline) {
                again.add(r.requestId());
                out.println(
                    "      (the generator has not loaded "
                        + modelId
                        + " v"
                        + version
                        + " yet; asking again)");
              } else {
                answers.add(new Answer(seedOf.get(r.requestId()), r));
                print(answers.get(answers.size() - 1));
              }
            },
            plan.promptTimeout());
        List<GenerateRequest> next = new ArrayList<>();
        for (GenerateRequest r : pending) {
          if (!again.contains(r.requestId())) continue;
          GenerateRequest retry =
              r.toBuilder()
                  .requestId(r.requestId().replaceAll("-retry\\d+$", "") + "-retry" + attempt)
                  .build();
          seedOf.put(retry.requestId(), retry.prompt());
          next.add(retry);
        }
        pending = next;
        if (!pending.isEmpty())
          LockSupport.parkNanos(Duration.ofMillis(500).toNanos()); // let the model load
      }
    } catch (TimeoutException e) {
      throw new DemoException(e.getMessage(), e);
    }
    long failed =
        answers.stream()
            .filter(a -> a.response().finishReason() == GenerateResponse.FinishReason.ERROR)
            .count();
    if (failed > 0)
      throw new DemoException(failed + " of " + answers.size() + " prompt(s) failed (see above)");
    return answers;
  }

  private static boolean isModelNotLoadedYet(GenerateResponse r) {
    return r.finishReason() == GenerateResponse.FinishReason.ERROR
        && "unknown-model".equals(r.error().kind());
  }

  private void print(Answer a) {
    GenerateResponse r = a.response();
    if (r.finishReason() == GenerateResponse.FinishReason.ERROR) {
      out.printf(
          Locale.ROOT,
          "--- %s: ERROR (%s): %s%n",
          quote(a.seed()),
          r.error().kind(),
          r.error().message());
      return;
    }
    GenerateResponse.Timings t = r.timings();
    out.printf(
        Locale.ROOT,
        "--- %s -> %s v%d, %d chars, first char after %.0f ms, %.1f s in all (%,.0f chars/s)%n",
        quote(a.seed()),
        r.modelId(),
        r.modelVersion(),
        r.text().length(),
        t.timeToFirstCharMs() == null ? Double.NaN : t.timeToFirstCharMs(),
        t.totalMs() / 1000,
        t.charsPerSecond());
    out.println(a.printed());
    out.println();
  }

  private static String quote(String s) {
    return '"' + s.replace("\n", "\\n") + '"';
  }
}
