package example;

import io.spikestream.avro.Alert;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.LineSurprisal;
import io.spikestream.operator.DocumentScoring;
import io.spikestream.operator.RecordSource;
import io.spikestream.operator.ScoredStreams;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.reader.TextLineInputFormat;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a log file, scores each host's lines as one document with a SpikeStream model, prints one line per
 * scored record and per alert. {@code ScoreLogFile FILE MODEL_DIR}.
 */
public final class ScoreLogFile {
    /** An event of our own: the host that logged a line, the line, and its line number in the file. */
    public static class LogEvent {
        public String host;
        public String message;
        public long lineNumber;

        public LogEvent() {
        }

        public LogEvent(String host, String message, long lineNumber) {
            this.host = host;
            this.message = message;
            this.lineNumber = lineNumber;
        }
    }

    private static final Pattern HOST = Pattern.compile("\\[([a-z]+)-\\d+\\]");

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: ScoreLogFile FILE MODEL_DIR");
            System.exit(2);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1); // one file, read in order: the line numbers are the records' offsets

        FileSource<String> file = FileSource.forRecordStreamFormat(new TextLineInputFormat(), new Path(args[0])).build();
        DataStream<LogEvent> events = env.fromSource(file, WatermarkStrategy.noWatermarks(), "log file")
                .map(new NumberedLines()).returns(LogEvent.class);

        ScoredStreams scored = DocumentScoring.<LogEvent>builder()
                .model(java.nio.file.Path.of(args[1]))
                .documentKey(e -> e.host)                                       // one document per host
                .text(e -> e.message)
                .records(e -> new RecordSource(args[0], 0, e.lineNumber, e.host)) // in file order, replays recognized
                .build()
                .apply(events);

        scored.enrichments().map(ScoreLogFile::describe).returns(Types.STRING).print();
        scored.alerts().map(ScoreLogFile::describe).returns(Types.STRING).print();
        scored.rejected().map(r -> "REJECTED " + r.getReason()).returns(Types.STRING).print();
        env.execute("score " + args[0]);
    }

    /** Numbers the lines and finds each one's host ("[payments-2]" -> payments; no match: the line before's host). */
    static final class NumberedLines extends org.apache.flink.api.common.functions.RichMapFunction<String, LogEvent> {
        private long next;
        private String host = "unknown";

        @Override
        public LogEvent map(String line) {
            Matcher m = HOST.matcher(line);
            if (m.find()) {
                host = m.group(1);
            }
            return new LogEvent(host, line, next++);
        }
    }

    static String describe(Enrichment e) {
        LineSurprisal l = e.getLines().isEmpty() ? null : e.getLines().get(0);
        return String.format(Locale.ROOT, "%s %s line %d: %s nats/token  %s", e.getKind(), e.getDocId(), e.getOffset(),
                l == null || l.getMeanSurprisal() == null ? "-" : String.format(Locale.ROOT, "%.3f", l.getMeanSurprisal()),
                l == null ? "" : l.getText());
    }

    static String describe(Alert a) {
        return String.format(Locale.ROOT, "ALERT %s line %d: %.3f > %s (%.3f)  %s", a.getDocId(), a.getOffset(), a.getScore(),
                a.getThresholdName(), a.getThreshold(), a.getText());
    }
}
