package io.charstream.model;

import java.util.List;

/** Text in, text out, on {@link GenerationBatch}. */
public final class TextGenerator {

  private final GenerationModel model;

  public TextGenerator(GenerationModel model) {
    this.model = model;
  }

  /**
   * Generates {@code length} characters after {@code prompt}.
   *
   * @return the generated continuation only (without the prompt)
   */
  public String generate(String prompt, int length, SamplingOptions options) {
    return generateAll(List.of(prompt), length, List.of(options)).get(0);
  }

  /** Generates for every prompt together in batched steps; element i uses options i. */
  public List<String> generateAll(List<String> prompts, int length, List<SamplingOptions> options) {
    throw new UnsupportedOperationException("generation: not yet implemented");
  }
}
