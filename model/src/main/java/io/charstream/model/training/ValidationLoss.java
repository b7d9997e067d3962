package io.charstream.model.training;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Mean per-character cross entropy (nats) of a held-out text, without dropout. The text is cut into
 * up to batchSize contiguous streams read in seqLen chunks with the LSTM state carried from chunk
 * to chunk, from a zero state, like training but on a copy of the network so the training state is
 * untouched.
 */
final class ValidationLoss {

  private ValidationLoss() {}

  /**
   * @return NaN when the text has fewer than 2 characters
   */
  static double of(MultiLayerNetwork trained, int[] ids, int batchSize, int seqLen) {
    if (ids.length < 2) {
      return Double.NaN;
    }
    int streams = (int) Math.max(1, Math.min(batchSize, (ids.length - 1L) / seqLen));
    int streamLength = (ids.length - 1) / streams;
    MultiLayerNetwork net = trained.clone();
    net.rnnClearPreviousState();
    double sum = 0;
    long count = 0;
    for (int start = 0; start < streamLength; start += seqLen) {
      int len = Math.min(seqLen, streamLength - start);
      float[] features = new float[streams * len];
      for (int s = 0; s < streams; s++) {
        for (int t = 0; t < len; t++) {
          features[s * len + t] = ids[s * streamLength + start + t];
        }
      }
      // [streams, vocab, len] softmax probabilities
      INDArray probs = net.rnnTimeStep(Nd4j.create(features, new long[] {streams, 1, len}, 'c'));
      float[] p = probs.dup('c').data().asFloat();
      int vocab = (int) probs.size(1);
      for (int s = 0; s < streams; s++) {
        for (int t = 0; t < len; t++) {
          int label = ids[s * streamLength + start + t + 1];
          sum -= Math.log(Math.max(p[(s * vocab + label) * len + t], Float.MIN_VALUE));
          count++;
        }
      }
    }
    net.rnnClearPreviousState();
    return sum / count;
  }
}
