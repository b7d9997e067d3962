package io.charstream.app.generator;

import picocli.CommandLine.Command;

/**
 * {@code charstream bench}: benchmark commands that print JSON. Holds {@code serve} here; the model
 * branch's {@code bench train} / {@code bench generate} join it when the branches merge.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks; each prints one JSON object.",
    subcommands = {BenchServeCommand.class})
public final class BenchCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }
}
