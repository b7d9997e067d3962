package io.charstream.model.generation;

import io.charstream.model.SamplingOptions;
import io.charstream.model.Vocabulary;
import java.util.ArrayList;
import java.util.List;

/** Text in, text out, on the model's {@link GenerationStreams}. */
public final class TextGenerator {

  private final GenerationModel model;

  public TextGenerator(GenerationModel model) {
    this.model = model;
  }

  /**
   * Generates {@code length} characters after {@code prompt} (characters outside the vocabulary in
   * the prompt are fed as id 0, unknown, as in the reference), read after {@link
   * Vocabulary#PROMPT_PRIMER}.
   *
   * @return the generated continuation only (without the prompt)
   */
  public String generate(String prompt, int length, SamplingOptions options) {
    return generateAll(List.of(prompt), length, List.of(options)).get(0);
  }

  /** Generates for every prompt together in batched steps; prompt i uses options i. */
  public List<String> generateAll(List<String> prompts, int length, List<SamplingOptions> options) {
    if (prompts.size() != options.size()) {
      throw new IllegalArgumentException(
          prompts.size() + " prompts but " + options.size() + " sampling options");
    }
    if (length < 0) {
      throw new IllegalArgumentException("length must be >= 0, got " + length);
    }
    if (prompts.isEmpty()) {
      return List.of();
    }
    GenerationStreams batch = model.newStreams(prompts.size());
    Vocabulary vocabulary = model.vocabulary();
    List<int[]> promptIds = new ArrayList<>(prompts.size());
    List<StringBuilder> out = new ArrayList<>();
    for (String prompt : prompts) {
      promptIds.add(vocabulary.primed(vocabulary.encode(prompt).ids()));
      out.add(new StringBuilder(length));
    }
    int[] slotOf = batch.openAll(promptIds, options);
    for (int t = 0; t < length; t++) {
      int[] ids = batch.step();
      for (int i = 0; i < prompts.size(); i++) {
        out.get(i).append(vocabulary.decode(ids[slotOf[i]]));
      }
    }
    List<String> texts = new ArrayList<>(out.size());
    out.forEach(sb -> texts.add(sb.toString()));
    return texts;
  }
}
