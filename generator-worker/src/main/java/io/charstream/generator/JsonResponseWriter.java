package io.charstream.generator;

import io.charstream.schemas.json.Json;
import io.charstream.schemas.message.GenerateResponse;
import io.charstream.schemas.message.GenerateResponse.FinishReason;
import io.charstream.schemas.message.GenerateResponse.Timings;

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
    double genSeconds = Math.max(1e-9, (job.finishedNanos() - job.startedNanos()) / 1e9);
    Timings timings =
        new Timings(
            job.sinceOriginMs(job.startedNanos()),
            job.sinceOriginMs(job.firstCharNanos()),
            job.sinceOriginMs(job.finishedNanos()),
            job.steps() / genSeconds);
    FinishReason reason = job.finish() == Job.Finish.STOP ? FinishReason.STOP : FinishReason.LENGTH;
    return Json.write(
        GenerateResponse.done(
            job.requestId(),
            job.finalSeq(),
            job.text(),
            job.model().modelId(),
            job.model().version(),
            reason,
            timings),
        GenerateResponse.class);
  }

  @Override
  public byte[] error(String requestId, ErrorKind kind, String message) {
    return Json.write(
        GenerateResponse.failed(requestId, 0, null, null, kind.code(), message, null),
        GenerateResponse.class);
  }
}
