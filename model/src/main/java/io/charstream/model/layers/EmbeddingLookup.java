package io.charstream.model.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a fused embedding layer's forward pass hands the fused LSTM that reads its output: the ids
 * and the embedding matrix, so that the LSTM can fold the embedding into its input projection.
 *
 * <p>The LSTM's input projection of an embedded id is E[id] W, so the projection of every row is a
 * row of the vocab x 4H table E W: one small multiply and a gather instead of a GEMM over all batch
 * x steps rows, and bit for bit the same values (each table row is computed as the GEMM computes
 * that row). Backward, the gradient of the table is the gate gradients summed by id, from which the
 * LSTM computes W's gradient (E^T of it) and E's (it times W^T) with two small multiplies instead
 * of two GEMMs over all rows; it leaves E's gradient here for the embedding layer, which then has
 * nothing to add up itself. The epsilon the LSTM returns for its input is then a placeholder that
 * only that embedding layer may receive ({@link #takeGradient}).
 *
 * <p>The LSTM recognises the output by identity, so anything between the two layers (dropout on the
 * LSTM's input, a preprocessor, a copy) makes it compute the ordinary way.
 */
final class EmbeddingLookup {

  /** The last fused embedding output made on this thread (a layer's next one replaces it). */
  private static final ThreadLocal<EmbeddingLookup> LAST = new ThreadLocal<>();

  private final INDArray output;
  private final int[] ids;
  private final float[] embedding;
  private final int vocab;
  private final int width;

  private float[] gradient;
  private INDArray placeholder;

  /**
   * @param output the embedding layer's output array, [mb, width, T]
   * @param ids the ids, rows (t, b) = t * mb + b
   * @param embedding E row-major [vocab][width]
   */
  private EmbeddingLookup(INDArray output, int[] ids, float[] embedding, int vocab, int width) {
    this.output = output;
    this.ids = ids;
    this.embedding = embedding;
    this.vocab = vocab;
    this.width = width;
  }

  /** Records an embedding layer's output for the LSTM that reads it next on this thread. */
  static EmbeddingLookup publish(
      INDArray output, int[] ids, float[] embedding, int vocab, int width) {
    EmbeddingLookup lookup = new EmbeddingLookup(output, ids, embedding, vocab, width);
    LAST.set(lookup);
    return lookup;
  }

  /** The lookup whose output {@code input} is (the same array), or null. */
  static EmbeddingLookup producing(INDArray input) {
    EmbeddingLookup last = LAST.get();
    return last != null && last.output == input ? last : null;
  }

  int[] ids() {
    return ids;
  }

  /** E row-major [vocab][width]. */
  float[] embedding() {
    return embedding;
  }

  int vocab() {
    return vocab;
  }

  int width() {
    return width;
  }

  /**
   * The LSTM's backward pass: E's gradient (row-major [vocab][width]) and the placeholder epsilon
   * it returns in place of its input gradient.
   */
  void foldGradient(float[] embeddingGradient, INDArray epsilonPlaceholder) {
    gradient = embeddingGradient;
    placeholder = epsilonPlaceholder;
  }

  /**
   * The embedding layer's backward pass: E's gradient if the LSTM folded it for this epsilon (then
   * forgotten), else null (the layer computes it from the epsilon).
   *
   * @throws IllegalStateException when the LSTM folded the gradient but the epsilon that arrived is
   *     not its placeholder (something between the layers copied it): its values mean nothing
   */
  float[] takeGradient(INDArray epsilon) {
    float[] folded = gradient;
    if (folded == null) {
      return null;
    }
    INDArray expected = placeholder;
    gradient = null;
    placeholder = null;
    if (epsilon != expected) {
      throw new IllegalStateException(
          "the fused LSTM folded this embedding's gradient, but the epsilon that reached the"
              + " embedding layer is not the one it returned (an input preprocessor or a copy"
              + " between the layers?); remove it, or use the stock layers");
    }
    return folded;
  }
}
