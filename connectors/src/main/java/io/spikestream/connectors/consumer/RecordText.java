package io.spikestream.connectors.consumer;

import io.spikestream.avro.Alert;
import io.spikestream.avro.DocumentChunk;
import io.spikestream.avro.DocumentQuery;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.LabelScore;
import io.spikestream.avro.LineSurprisal;
import io.spikestream.avro.Rejected;
import io.spikestream.avro.SurprisingSpan;
import java.util.Locale;
import org.apache.avro.specific.SpecificRecord;

/** One readable line per record (the consumer command's default output); {@code --json} gives every field. */
public final class RecordText {
    /** Longest text excerpt shown before it is cut with an ellipsis. */
    static final int EXCERPT_CHARS = 80;

    private RecordText() {
    }

    public static String format(SpecificRecord record) {
        if (record instanceof Enrichment e) {
            return enrichment(e);
        }
        if (record instanceof Alert a) {
            return "ALERT " + a.getDocId() + " line " + a.getLine() + " score=" + number(a.getScore()) + " > " + a.getThresholdName()
                    + " (" + number(a.getThreshold()) + ") " + a.getSourceTopic()
                    + (a.getPartition() == null ? " seq=" + a.getSeq() : "-" + a.getPartition() + "@" + a.getOffset())
                    + " text=" + quote(a.getText())
                    + (a.getLineEnd() == null || a.getLineEnd() == a.getLine() ? ""
                        : " incident=lines " + a.getLine() + "-" + a.getLineEnd() + " (" + a.getAlertingLines() + " alerting, top line "
                        + a.getTopLine() + " score=" + number(a.getTopScore()) + ")");
        }
        if (record instanceof Rejected r) {
            return "REJECTED " + r.getSourceTopic() + "-" + r.getPartition() + "@" + r.getOffset()
                    + " doc=" + (r.getDocId() == null ? "?" : r.getDocId()) + " (" + r.getRaw().remaining() + " bytes): "
                    + r.getReason();
        }
        if (record instanceof DocumentChunk c) {
            return c.getDocId() + " chunk seq=" + c.getSeq() + (c.getLast() ? " last" : "") + " chars=" + c.getText().length()
                    + " text=" + quote(c.getText());
        }
        if (record instanceof DocumentQuery q) {
            return q.getDocId() + " query " + q.getQueryId() + " " + q.getKind()
                    + (q.getPrompt() == null ? "" : " prompt=" + quote(q.getPrompt()))
                    + (q.getLabels().isEmpty() ? "" : " labels=" + q.getLabels())
                    + " maxTokens=" + q.getMaxTokens() + " temperature=" + q.getTemperature();
        }
        throw new IllegalArgumentException("no text form for " + record.getClass().getName());
    }

    private static String enrichment(Enrichment e) {
        StringBuilder sb = new StringBuilder(160);
        sb.append(e.getDocId()).append(' ').append(e.getKind());
        if (e.getSeq() != null) {
            sb.append(" seq=").append(e.getSeq());
        }
        if (e.getQueryId() != null) {
            sb.append(" query=").append(e.getQueryId());
        }
        if (e.getSourceTopic() != null) {
            sb.append(' ').append(e.getSourceTopic()).append('-').append(e.getPartition()).append('@').append(e.getOffset());
        }
        sb.append(" tokens=[").append(e.getTokenStart()).append(',').append(e.getTokenEnd()).append(')');
        if (e.getPerplexity() != null) {
            sb.append(" ppl=").append(number(e.getPerplexity()));
        }
        if (e.getMeanSurprisal() != null) {
            sb.append(" mean=").append(number(e.getMeanSurprisal()));
        }
        if (e.getMaxSurprisal() != null) {
            sb.append(" max=").append(number(e.getMaxSurprisal()));
        }
        if (e.getAnswer() != null) {
            sb.append(" answer=").append(quote(e.getAnswer()));
        }
        if (e.getLabelScores() != null) {
            sb.append(" labels:");
            for (LabelScore s : e.getLabelScores()) {
                sb.append(' ').append(s.getLabel()).append('=').append(number(s.getProbability()));
            }
        }
        if (e.getEmbedding() != null) {
            sb.append(" embedding[").append(e.getEmbedding().size()).append(']');
        }
        sb.append(" state=").append(e.getStateBytes()).append('B');
        if (!e.getSpans().isEmpty()) {
            sb.append(" spans:");
            for (SurprisingSpan s : e.getSpans()) {
                sb.append(' ').append(quote(s.getText())).append('@').append(s.getCharStart()).append('=').append(number(s.getSurprisal()));
            }
        }
        if (e.getLines() != null && !e.getLines().isEmpty()) {
            LineSurprisal top = null;
            for (LineSurprisal l : e.getLines()) {
                if (l.getMeanSurprisal() != null && (top == null || l.getMeanSurprisal() > top.getMeanSurprisal())) {
                    top = l;
                }
            }
            sb.append(" lines=").append(e.getLines().size());
            if (top != null) {
                sb.append(" top line ").append(top.getLine()).append('=').append(number(top.getMeanSurprisal())).append(' ')
                        .append(quote(top.getText()));
            }
        }
        return sb.toString();
    }

    private static String number(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    /** The text in double quotes on one line (control characters escaped), cut at {@value #EXCERPT_CHARS} chars. */
    static String quote(String text) {
        StringBuilder sb = new StringBuilder(Math.min(text.length(), EXCERPT_CHARS) + 8).append('"');
        int end = Math.min(text.length(), EXCERPT_CHARS);
        if (end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
            end--; // do not show half a character
        }
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
        if (end < text.length()) {
            sb.append("...");
        }
        return sb.toString();
    }
}
