package io.charstream.generator;

/** Encodes the records the worker sends to the responses topic (all keyed by requestId). */
interface ResponseWriter {

  /** A streamed part of the text. */
  byte[] chunk(Job job, Job.Chunk chunk);

  /** The final record of a request that ran: full text, finish reason, model, timings. */
  byte[] complete(Job job);

  /** The final record of a request that could not run, saying what was wrong. */
  byte[] error(String requestId, ErrorKind kind, String message);
}
