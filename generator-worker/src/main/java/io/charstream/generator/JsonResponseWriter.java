package io.charstream.generator;

import io.charstream.schemas.json.Json;
import io.charstream.schemas.message.GenerateResponse;
import io.charstream.schemas.message.GenerateResponse.FinishReason;
import io.charstream.schemas.message.GenerateResponse.Timings;
import java.util.ArrayList;
import java.util.List;

/** Writes responses as the contract's {@link GenerateResponse} JSON. */
final class JsonResponseWriter implements ResponseWriter {

  @Override
  public byte[] chunk(Job job, Job.Chunk chunk) {
    return Json.write(
        GenerateResponse.chunk(
            job.requestId(),
            chunk.seq(),
            chunk.text(),
            job.model().modelId(),
            job.model().version()),
        GenerateResponse.class);
  }

  @Override
  public byte[] complete(Job job) {
    Timings timings = null;
    if (job.started()) {
      double genSeconds = Math.max(1e-9, (job.finishedNanos() - job.startedNanos()) / 1e9);
      timings =
          new Timings(
              job.sinceOriginMs(job.startedNanos()),
              job.steps() == 0 ? null : job.sinceOriginMs(job.firstCharNanos()),
              job.sinceOriginMs(job.finishedNanos()),
              job.totalSteps() / genSeconds);
    }
    FinishReason reason = reason(job.finish());
    List<GenerateResponse.Choice> choices = null;
    if (job.spec().n() > 1) {
      choices = new ArrayList<>(job.spec().n());
      List<Job.Sample> samples = job.samples();
      for (int i = 0; i < samples.size(); i++) {
        Job.Sample x = samples.get(i);
        choices.add(new GenerateResponse.Choice(i, x.text(), reason(x.finish()), x.logprobs()));
      }
    }
    List<GenerateResponse.CharLogprob> logprobs =
        job.spec().logprobs() > 0 ? job.samples().get(0).logprobs() : null;
    // A job ended before it was primed (cancelled while queued) may not know its model yet.
    LoadedModel model = job.model();
    return Json.write(
        new GenerateResponse(
            GenerateResponse.SCHEMA_VERSION,
            job.requestId(),
            GenerateResponse.Type.FINAL,
            job.finalSeq(),
            job.text(),
            model == null ? null : model.modelId(),
            model == null ? null : model.version(),
            reason,
            timings,
            null,
            choices,
            logprobs),
        GenerateResponse.class);
  }

  private static FinishReason reason(Job.Finish finish) {
    return switch (finish) {
      case LENGTH -> FinishReason.LENGTH;
      case STOP -> FinishReason.STOP;
      case CANCELLED -> FinishReason.CANCELLED;
      case DEADLINE -> FinishReason.DEADLINE;
    };
  }

  @Override
  public byte[] error(String requestId, ErrorKind kind, String message) {
    return Json.write(
        GenerateResponse.failed(requestId, 0, null, null, kind.code(), message, null),
        GenerateResponse.class);
  }
}
