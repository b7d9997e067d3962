package io.charstream.app.cli;

/** The command-line flags of the engine's config fields, for messages the user can act on. */
public final class FlagNames {

  private FlagNames() {}

  /** Maps a config record's field name in a validation message to the flag the user typed. */
  public static String inMessage(String message) {
    String[][] names = {
      {"seqLen", "--seq-len"},
      {"batchSize", "--batch-size"},
      {"numEpochs", "--num-epochs"},
      {"learningRate", "--learning-rate"},
      {"clipNorm", "--clip-norm"},
      {"valFraction", "--val-fraction"},
      {"checkpointEverySteps", "--checkpoint-every"},
      {"valSplit", "--val-split"},
      {"preset", "--preset"},
      {"lrSchedule", "--lr-schedule"},
      {"finalLearningRate", "--final-learning-rate"},
      {"embeddingSize", "--embedding-size"},
      {"rnnSize", "--rnn-size"},
      {"numLayers", "--num-layers"},
      {"dropRate", "--drop-rate"}
    };
    for (String[] n : names) {
      if (message.startsWith(n[0] + " ")) {
        return n[1] + message.substring(n[0].length());
      }
    }
    return message;
  }
}
