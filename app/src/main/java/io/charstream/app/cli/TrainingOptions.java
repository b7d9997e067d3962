package io.charstream.app.cli;

import io.charstream.model.ModelConfig;
import io.charstream.model.TrainingConfig;
import io.charstream.model.TrainingConfig.LearningRateSchedule;
import io.charstream.model.TrainingConfig.ValidationSplit;
import io.charstream.model.TrainingPreset;
import io.charstream.schemas.message.VocabularyMode;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The training hyperparameters, declared once for every command that takes them ({@code train},
 * {@code submit}): the reference's flags and defaults, plus the preset, split and schedule. Used as
 * a picocli {@code @Mixin}. {@link #given} tells a flag the user typed from a default, so that a
 * preset fills only the rest ({@link #merged}) and {@code submit} sends only what was typed.
 */
public final class TrainingOptions {

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  @Option(
      names = "--preset",
      defaultValue = "reference",
      converter = PresetConverter.class,
      paramLabel = "reference|recommended|fast|large",
      description =
          "a named recipe (network, optimiser, schedule, epochs): reference: the reference's defaults;"
              + " recommended: 2 x LSTM 256, dropout 0.05, Adam 0.003 with cosine decay to 0.00015, 32"
              + " epochs; fast: 2 x LSTM 256, Adam 0.006 with cosine decay to 0.0003, 5 epochs (a few"
              + " minutes); large: 2 x LSTM 448, dropout 0.2, Adam 0.004 with cosine decay to 0.0002, 19"
              + " epochs (about an hour on two cores); flags given explicitly override it (default:"
              + " ${DEFAULT-VALUE})")
  public TrainingPreset preset;

  @Option(
      names = "--seq-len",
      defaultValue = "64",
      description = "sequence length of inputs and outputs (default: ${DEFAULT-VALUE})")
  public int seqLen;

  @Option(
      names = "--embedding-size",
      defaultValue = "32",
      description = "character embedding size (default: ${DEFAULT-VALUE})")
  public int embeddingSize;

  @Option(
      names = "--rnn-size",
      defaultValue = "128",
      description = "size of rnn cell (default: ${DEFAULT-VALUE}, or the preset's)")
  public int rnnSize;

  @Option(
      names = "--num-layers",
      defaultValue = "2",
      description = "number of rnn layers (default: ${DEFAULT-VALUE})")
  public int numLayers;

  @Option(
      names = "--drop-rate",
      defaultValue = "0.0",
      description = "dropout rate for rnn layers (default: ${DEFAULT-VALUE}, or the preset's)")
  public double dropRate;

  @Option(
      names = "--learning-rate",
      defaultValue = "0.001",
      description =
          "learning rate; the first step's with --lr-schedule cosine (default: ${DEFAULT-VALUE}, or"
              + " the preset's)")
  public double learningRate;

  @Option(
      names = "--clip-norm",
      defaultValue = "5.0",
      description =
          "max norm to clip gradient (global norm of the mean-loss gradient, as the reference;"
              + " 0 = off) (default: ${DEFAULT-VALUE})")
  public double clipNorm;

  @Option(
      names = "--batch-size",
      defaultValue = "64",
      description = "training batch size (default: ${DEFAULT-VALUE}, or the preset's)")
  public int batchSize;

  @Option(
      names = "--num-epochs",
      defaultValue = "32",
      description =
          "number of epochs for training (default: ${DEFAULT-VALUE}, or the preset's; bench table"
              + " --reproduce: 2)")
  public int numEpochs;

  @Option(
      names = "--val-fraction",
      defaultValue = "0.05",
      description =
          "fraction of the text, from its end, held out for the validation loss (default:"
              + " ${DEFAULT-VALUE}; 0 = none)")
  public double valFraction;

  @Option(
      names = "--val-split",
      defaultValue = "tail",
      paramLabel = "tail|blocks",
      description =
          "tail: hold out the end of the text; blocks: the end of each of --batch-size equal blocks"
              + " (char-rnn's split, spread over the whole text) (default ${DEFAULT-VALUE}; bench table:"
              + " blocks, the split of its committed results)")
  public ValidationSplit valSplit;

  @Option(
      names = "--lr-schedule",
      defaultValue = "constant",
      paramLabel = "constant|cosine",
      description =
          "constant (the reference), or cosine decay from --learning-rate to --final-learning-rate"
              + " over all --num-epochs (default ${DEFAULT-VALUE}, or the preset's)")
  public LearningRateSchedule lrSchedule;

  @Option(
      names = "--final-learning-rate",
      paramLabel = "RATE",
      description =
          "learning rate of the last step with --lr-schedule cosine (default: the preset's, else"
              + " --learning-rate / 20)")
  public Double finalLearningRate;

  @Option(
      names = "--vocabulary",
      defaultValue = "reference",
      paramLabel = "reference|learned",
      description =
          "reference: the reference's 98 printable-ASCII ids; learned: the text's own"
              + " characters (any Unicode) (default: ${DEFAULT-VALUE})")
  public VocabularyMode vocabulary;

  /** "reference" or "recommended", in any case; the message names the flag and the choices. */
  static final class PresetConverter implements CommandLine.ITypeConverter<TrainingPreset> {
    @Override
    public TrainingPreset convert(String value) {
      try {
        return TrainingPreset.parse(value.toLowerCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(
            "--preset must be " + TrainingPreset.NAMES + ", got '" + value + "' (in any case)");
      }
    }
  }

  /** True when the user typed {@code flag} (e.g. "--rnn-size"), false when it has its default. */
  public boolean given(String flag) {
    return command.commandLine().getParseResult().hasMatchedOption(flag);
  }

  /** The value of {@code flag} when the user typed it, else null. */
  public <T> T ifGiven(String flag, T value) {
    return given(flag) ? value : null;
  }

  /** The preset's hyperparameters with the flags the user typed on top (the one preset merge). */
  public TrainingPreset.Merged merged() {
    return preset.merge(
        new TrainingPreset.Explicit(
            ifGiven("--rnn-size", rnnSize),
            ifGiven("--drop-rate", dropRate),
            ifGiven("--batch-size", batchSize),
            ifGiven("--learning-rate", learningRate),
            ifGiven("--lr-schedule", lrSchedule),
            finalLearningRate,
            ifGiven("--num-epochs", numEpochs)));
  }

  /**
   * The training config of these flags: the preset merged, the cosine schedule's final rate
   * defaulting to learningRate / 20; a value out of range is a {@link UserError} naming its flag.
   */
  public TrainingConfig trainingConfig(long seed, int checkpointEverySteps) {
    TrainingPreset.Merged m = merged();
    try {
      return TrainingConfig.builder()
          .seqLen(seqLen)
          .batchSize(m.batchSize())
          .numEpochs(m.numEpochs())
          .learningRate(m.learningRate())
          .clipNorm(clipNorm)
          .valFraction(valFraction)
          .seed(seed)
          .checkpointEverySteps(checkpointEverySteps)
          .valSplit(valSplit)
          .lrSchedule(m.schedule())
          .finalLearningRate(
              m.finalLearningRate() != null
                  ? m.finalLearningRate()
                  : TrainingConfig.defaultFinalLearningRate(m.learningRate()))
          .build();
    } catch (IllegalArgumentException e) {
      throw new UserError(FlagNames.inMessage(e.getMessage()));
    }
  }

  /** The network of these flags for a vocabulary of {@code vocabSize} ids, the preset merged. */
  public ModelConfig modelConfig(int vocabSize) {
    TrainingPreset.Merged m = merged();
    try {
      return new ModelConfig(vocabSize, embeddingSize, m.rnnSize(), numLayers, m.dropRate());
    } catch (IllegalArgumentException e) {
      throw new UserError(FlagNames.inMessage(e.getMessage()));
    }
  }
}
