package io.spikestream.cli;

import io.spikestream.connectors.kafka.client.Secrets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code ./spikestream}: one subcommand per task. */
@Command(name = "spikestream",
        mixinStandardHelpOptions = true,
        version = "SpikeStream 0.1.0-SNAPSHOT",
        description = "Long-context language-model analysis of unbounded documents (SpikingBrain gla_swa) in Flink.",
        subcommands = {
            io.spikestream.cli.engine.LogitsCommand.class,
            io.spikestream.cli.engine.TokenizeCommand.class,
            io.spikestream.cli.engine.GenerateCommand.class,
            io.spikestream.cli.bench.BenchCommand.class,
            io.spikestream.cli.bench.BenchTokenizerCommand.class,
            io.spikestream.cli.bench.PipelineBenchCommand.class,
            io.spikestream.cli.bench.BenchTrainCommand.class,
            io.spikestream.cli.kafka.KafkaCommand.class,
            io.spikestream.cli.kafka.ProduceCommand.class,
            io.spikestream.cli.kafka.ConsumeCommand.class,
            io.spikestream.cli.job.JobCommand.class,
            io.spikestream.cli.cluster.ClusterCommand.class,
            io.spikestream.cli.sql.SqlCommand.class,
            io.spikestream.cli.demo.DemoCommand.class,
            io.spikestream.cli.trainer.LogsCommand.class,
            io.spikestream.cli.trainer.TrainTokenizerCommand.class,
            io.spikestream.cli.trainer.ConvertCommand.class,
            io.spikestream.cli.trainer.LegalCorpusCommand.class,
            io.spikestream.cli.trainer.TrainCommand.class,
            io.spikestream.cli.trainer.ClauseTestCommand.class,
            io.spikestream.cli.trainer.ScoreLinesCommand.class,
            io.spikestream.cli.trainer.CalibrateCommand.class,
            io.spikestream.cli.spiking.QuantizeCommand.class,
            io.spikestream.cli.spiking.SpikesCommand.class,
            CommandLine.HelpCommand.class,
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            // User errors (bad model, bad tokens, ...) get one clear line, not a stack trace.
            // never a secret: the settings' passwords and JAAS values are taken out of whatever a library wrote
            commandLine.getErr().println(Secrets.scrub("spikestream " + commandLine.getCommandName() + ": " + describe(ex)));
            if (Boolean.getBoolean("spikestream.debug")) {
                java.io.StringWriter trace = new java.io.StringWriter();
                ex.printStackTrace(new java.io.PrintWriter(trace));
                commandLine.getErr().print(Secrets.scrub(trace.toString()));
            }
            return 1;
        });
        return cli.execute(args);
    }

    static String describe(Throwable ex) {
        StringBuilder sb = new StringBuilder(String.valueOf(ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage()));
        for (Throwable cause = ex.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            if (cause.getMessage() != null && !sb.toString().contains(cause.getMessage())) {
                sb.append(": ").append(cause.getMessage());
            }
        }
        return sb.toString();
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
