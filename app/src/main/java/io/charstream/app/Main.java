package io.charstream.app;

import io.charstream.app.cli.Commands;
import io.charstream.model.EngineOptions;
import io.charstream.model.kernel.FusedRuntime;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code charstream} command: wires the sub-commands and exits with their
 * status.
 */
@Command(
    name = "charstream",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description =
        "Train character-level LSTM language models and serve text generation over Apache Kafka.",
    subcommands = {
      CommandLine.HelpCommand.class,
      // local, no Kafka: the reference's commands and the benchmarks
      io.charstream.app.local.TrainCommand.class,
      io.charstream.app.local.GenerateCommand.class,
      io.charstream.app.bench.BenchCommand.class,
      // one command on one machine: embedded broker + workers
      io.charstream.app.stack.DemoCommand.class,
      io.charstream.app.stack.UpCommand.class,
      io.charstream.app.broker.BrokerCommand.class,
      // workers
      io.charstream.app.worker.TrainerCommand.class,
      io.charstream.app.worker.GeneratorCommand.class,
      // clients
      io.charstream.app.client.CorpusCommand.class,
      io.charstream.app.client.SubmitCommand.class,
      io.charstream.app.client.StatusCommand.class,
      io.charstream.app.client.PromptCommand.class,
      io.charstream.app.console.ConsoleCommand.class
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // Training commands re-launch once with nd4j's native tuning in the environment (see
    // NativeTuning).
    java.util.OptionalInt relaunched = io.charstream.app.cli.NativeTuning.relaunchIfNeeded(args);
    if (relaunched.isPresent()) {
      System.exit(relaunched.getAsInt());
    }
    // The engine's settings (README, Configuration) are read and checked here, once, at start-up.
    int status =
        Commands.run(
            "start-up",
            new java.io.PrintWriter(System.err, true),
            () -> {
              FusedRuntime.configure(
                  EngineOptions.fromSettings(System.getenv(), System.getProperties()));
              return 0;
            });
    System.exit(status != 0 ? status : newCommandLine().execute(args));
  }

  /** The command line with every sub-command registered; tests call this too. */
  public static CommandLine newCommandLine() {
    return new CommandLine(new Main())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setParameterExceptionHandler(io.charstream.app.cli.OneLineErrors::handle);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }
}
