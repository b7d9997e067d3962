package io.charstream.app.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code charstream bench}: speed and memory of the engine, as one JSON object per run. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Measure training or generation speed; prints one JSON object.",
    subcommands = {
      BenchTrainCommand.class,
      BenchGenerateCommand.class,
      BenchTableCommand.class,
      io.charstream.app.bench.BenchServeCommand.class,
      io.charstream.app.bench.BenchTrainerCommand.class,
      io.charstream.app.bench.BenchSoakCommand.class
    })
public final class BenchCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
  }
}
