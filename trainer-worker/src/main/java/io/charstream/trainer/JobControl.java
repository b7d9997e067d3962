package io.charstream.trainer;

/**
 * Asks a running job to stop without ending it: on a rebalance or shutdown the job saves its
 * training state and its request stays uncommitted, so the next owner resumes it.
 */
final class JobControl {
  private volatile boolean handover;

  void requestHandover() {
    handover = true;
  }

  boolean handoverRequested() {
    return handover;
  }
}
