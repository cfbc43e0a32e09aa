package io.spikestream.cli.sql;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code sql}: Flink's own SQL Client with {@code score_lines} registered ({@link SqlClientProcess}). */
@Command(name = "sql", mixinStandardHelpOptions = true,
        description = {"Flink's SQL Client with score_lines registered (interactive, or -f FILE / -e STATEMENTS).",
            "Without --cluster, jobs run on a local MiniCluster inside the client, and each INSERT is waited for.",
            "A failed statement of -f or -e makes the command exit 1 (the SQL Client itself exits 0)."})
public final class SqlCommand implements Callable<Integer> {
    @Option(names = "--cluster", paramLabel = "HOST:PORT", description = "A running Flink cluster's REST endpoint (default: a local MiniCluster).")
    String cluster;

    @Option(names = "-f", paramLabel = "FILE", description = "Run the statements of FILE and exit.")
    Path file;

    @Option(names = "-e", paramLabel = "STATEMENTS", description = "Run these statements (separated by ';') and exit.")
    String statements;

    @Override
    public Integer call() throws Exception {
        if (file != null && statements != null) {
            throw new IllegalArgumentException("give -f FILE or -e STATEMENTS, not both");
        }
        if (file != null && !Files.isRegularFile(file)) {
            throw new IllegalArgumentException("-f: no file " + file);
        }
        SqlClientProcess client = new SqlClientProcess(cluster);
        if (file == null && statements == null) {
            int code = client.interactive();
            client.deleteFiles();
            return code;
        }
        Path script = file != null ? file : Files.writeString(client.dir().resolve("statements.sql"), onePerLine(statements));
        int code = client.run(script, System.out::println);
        if (code != 0) {
            System.err.println("the SQL Client's log: " + client.log()); // kept for looking into
        } else {
            client.deleteFiles();
        }
        return code;
    }

    /** The SQL Client reads a statement up to a ';' at the end of a line: each ';' outside quotes ends one. */
    static String onePerLine(String statements) {
        StringBuilder out = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < statements.length(); i++) {
            char c = statements.charAt(i);
            out.append(c);
            if (quote != 0) {
                quote = c == quote ? 0 : quote;
            } else if (c == '\'' || c == '"' || c == '`') {
                quote = c;
            } else if (c == ';') {
                out.append('\n');
                while (i + 1 < statements.length() && Character.isWhitespace(statements.charAt(i + 1))) {
                    i++;
                }
            }
        }
        String s = out.toString().strip();
        return s.endsWith(";") ? s + "\n" : s + ";\n";
    }
}
