package io.spikestream.cli.trainer;

import io.spikestream.trainer.corpus.AnomalyInjector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code ./spikestream logs}: a synthetic service log, optionally with labelled anomalies. */
@Command(name = "logs", mixinStandardHelpOptions = true,
        description = {"Print a synthetic service log (access, application with stack traces, JSON and kernel lines).",
            "With --anomaly-rate, some events are replaced by anomalies; --labels writes where (one JSON line each)."})
public final class LogsCommand implements Callable<Integer> {
    @Option(names = "--lines", defaultValue = "10000", description = "At least this many lines (default 10000).")
    int lines;

    @Option(names = "--seed", defaultValue = "1", description = "Same seed, same log (default 1).")
    long seed;

    @Option(names = "--anomaly-rate", defaultValue = "0", description = "Fraction of events replaced by anomalies (default 0: a normal log).")
    double rate;

    @Option(names = "--labels", description = {"Write the injected anomalies here, one JSON line each: {\"line\":N,\"kind\":\"...\",\"detail\":\"...\",",
        "\"event\":[first, end)} (the labelled line, and the lines of the event it replaced)."})
    Path labels;

    @Override
    public Integer call() throws IOException {
        AnomalyInjector.LabelledLog log = new AnomalyInjector(seed, rate).generate(lines);
        Writer out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
        for (String line : log.lines()) {
            out.write(line);
            out.write('\n');
        }
        out.flush();
        if (labels != null) {
            StringBuilder sb = new StringBuilder();
            for (AnomalyInjector.Injection i : log.injections()) {
                sb.append("{\"line\":").append(i.line()).append(",\"kind\":\"").append(i.kind()).append("\",\"detail\":")
                        .append(io.spikestream.engine.json.Json.quote(i.detail())).append(",\"event\":[").append(i.eventStart()).append(',')
                        .append(i.eventEnd()).append("]}\n");
            }
            Files.writeString(labels, sb.toString());
        }
        return 0;
    }
}
