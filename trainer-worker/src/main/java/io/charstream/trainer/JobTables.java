package io.charstream.trainer;

import io.charstream.schemas.message.CancelRequest;
import io.charstream.schemas.message.CorpusManifest;
import io.charstream.schemas.message.TrainingStatus;
import java.util.Optional;

/**
 * What a trainer looks up about corpora and jobs (the Streams global tables, or a map in tests).
 */
public interface JobTables {
  Optional<CorpusManifest> corpus(String corpusId);

  /** The latest status event of a job. */
  Optional<TrainingStatus> job(String jobId);

  Optional<CancelRequest> cancel(String jobId);
}
