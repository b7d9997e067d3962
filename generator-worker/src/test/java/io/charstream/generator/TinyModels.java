package io.charstream.generator;

import io.charstream.model.Checkpoint;
import io.charstream.model.GenerationModel;
import io.charstream.model.ModelConfig;
import io.charstream.model.Tensor;
import io.charstream.model.TrainingConfig;
import io.charstream.model.TrainingPosition;
import io.charstream.model.Vocabulary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Small real models for tests: the reference vocabulary, a tiny spec (embedding 8, 2 x LSTM 24) and
 * weights drawn uniformly from a seed, in the checkpoint's documented layout (DL4J parameter names).
 * Untrained, so the text is noise, but every path through the generator is the real one.
 */
final class TinyModels {
  private TinyModels() {}

  static Checkpoint checkpoint(long seed) {
    ModelConfig config = new ModelConfig(98, 8, 24, 2, 0.0);
    int v = config.vocabSize();
    int e = config.embeddingSize();
    int h = config.rnnSize();
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, Tensor> w = new HashMap<>();
    put(w, random, "0_W", v, e);
    put(w, random, "1_W", e, 4 * h);
    put(w, random, "1_RW", h, 4 * h);
    put(w, random, "1_b", 1, 4 * h);
    put(w, random, "2_W", h, 4 * h);
    put(w, random, "2_RW", h, 4 * h);
    put(w, random, "2_b", 1, 4 * h);
    put(w, random, "3_W", h, v);
    put(w, random, "3_b", 1, v);
    return new Checkpoint(config, TrainingConfig.defaults(), Vocabulary.reference(), List.of(),
        TrainingPosition.start(), w, null);
  }

  private static void put(Map<String, Tensor> w, SplittableRandom random, String name, int rows, int cols) {
    float[] data = new float[rows * cols];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) (random.nextDouble() * 1.2 - 0.6);
    }
    w.put(name, new Tensor(name, new int[] {rows, cols}, data));
  }

  static LoadedModel loaded(String id, long version, long seed) {
    return new LoadedModel(id, version, GenerationModel.from(checkpoint(seed)));
  }
}
