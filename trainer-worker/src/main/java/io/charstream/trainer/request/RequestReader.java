package io.charstream.trainer.request;

import io.charstream.schemas.message.TrainingRequest;

/**
 * Sorts one training-request record into what the trainer does with it. Never throws for bad input:
 * the polling loop switches on the result, as the generator's loop does on its reader's.
 */
@FunctionalInterface
public interface RequestReader {

  /**
   * @param key the record key (the contract keys requests by modelId), or null
   * @param partition the record's partition, with {@code offset} the source of a derived jobId
   */
  Read read(byte[] key, byte[] value, int partition, long offset);

  /** What a record is. */
  sealed interface Read permits Accepted, Rejected, DeadLetter {}

  /** A job to run: jobId, seed and preset resolved, keyed by its own modelId. */
  record Accepted(TrainingRequest request) implements Read {}

  /**
   * A request the trainer will not run: a {@code rejected} status.
   *
   * @param modelId null when none could be read
   * @param field the request field at fault, or null
   */
  record Rejected(String jobId, String modelId, String field, String reason) implements Read {}

  /**
   * A record that could not be parsed at all: it goes to the dead-letter topic unchanged, with
   * {@code kind} and {@code message} in its error headers.
   *
   * @param notice the {@code rejected} status that tells the model's client, when the key names a
   *     model; else null
   */
  record DeadLetter(String kind, String message, Rejected notice) implements Read {}
}
