package io.charstream.generator;

import io.charstream.model.Checkpoint;
import io.charstream.model.ModelConfig;
import io.charstream.model.Tensor;
import io.charstream.model.Vocabulary;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Checkpoints with weights drawn uniformly from a seed, in the checkpoint's documented layout (DL4J
 * parameter names: 0_W [vocab, emb]; per LSTM layer l: l_W [in, 4H], l_RW [H, 4H], l_b [1, 4H];
 * output last_W [H, vocab], last_b [1, vocab]). For the serving benchmark and tests when no trained
 * model is at hand: the text is noise, but generation costs exactly what a trained model of the
 * same spec costs, and every path through the generator is the real one.
 */
public final class SyntheticCheckpoints {
  private SyntheticCheckpoints() {}

  /** The tests' tiny spec: reference vocabulary, embedding 8, 2 x LSTM 24. */
  public static ModelConfig tiny() {
    return new ModelConfig(Vocabulary.reference().size(), 8, 24, 2, 0.0);
  }

  /**
   * A weights-only checkpoint of {@code config} (reference vocabulary) with weights from {@code
   * seed}.
   */
  public static Checkpoint of(ModelConfig config, long seed) {
    int v = config.vocabSize();
    int h = config.rnnSize();
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, Tensor> w = new HashMap<>();
    put(w, random, "0_W", v, config.embeddingSize());
    int in = config.embeddingSize();
    for (int l = 1; l <= config.numLayers(); l++) {
      put(w, random, l + "_W", in, 4 * h);
      put(w, random, l + "_RW", h, 4 * h);
      put(w, random, l + "_b", 1, 4 * h);
      in = h;
    }
    int out = config.numLayers() + 1;
    put(w, random, out + "_W", h, v);
    put(w, random, out + "_b", 1, v);
    return Checkpoint.untrained(config, Vocabulary.reference(), w);
  }

  private static void put(
      Map<String, Tensor> w, SplittableRandom random, String name, int rows, int cols) {
    float[] data = new float[rows * cols]; // [rows, cols] row-major
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) (random.nextDouble() * 1.2 - 0.6);
    }
    w.put(name, new Tensor(name, new int[] {rows, cols}, data));
  }
}
