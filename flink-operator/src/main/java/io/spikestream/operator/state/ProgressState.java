package io.spikestream.operator.state;

import io.spikestream.engine.scoring.OpenLine;
import io.spikestream.engine.scoring.OpenParagraph;

/**
 * How far a document has been read: tokens, surprisal totals over its scored tokens, and the line not yet ended
 * ({@code DocumentScorer} owns it). A Flink POJO.
 */
public class ProgressState {
    public long tokens;
    public long scoredTokens;
    public double surprisalSum;
    public double maxSurprisal;
    public long stateBytesWritten;
    public long applied;

    /** The line not yet ended by a newline (its number is the next line's for records). */
    public long openLine;
    public int openLineTokens;
    public long openLineTokenStart;
    public int openLineScored;
    public double openLineSum;
    public double openLineMax;
    public String openLineText = "";

    /** With --segment paragraph: the open line's background surprisal so far (its tokens in earlier chunks). */
    public double openLineBackground;
    /** With --segment paragraph: the paragraph not yet ended by a blank line or a heading (paraOpen false: none). */
    public boolean paraOpen;
    public long paraFirstLine;
    public long paraLastLine;
    public long paraTokenStart;
    public long paraTokenEnd;
    public int paraScored;
    public double paraSum;
    public double paraBackground;
    public double paraMax;
    public String paraText = "";

    /** The open incident ({@code IncidentAlerts}): its first line's alert, single-object Avro; null when none is open. */
    public byte[] incidentAlert;
    public long incidentLastLine;
    public long incidentTopLine;
    public double incidentTopScore;
    public String incidentTopText;
    public int incidentAlerting;
    /** Scored lines that did not alert since the incident's last line. */
    public int incidentQuiet;
    /** The processing-time timer that closes the incident when the document stays quiet (0: none). */
    public long incidentTimerMs;

    public ProgressState() {
    }

    /** Whether an incident or a paragraph is still open: what a document's end without its last chunk emits. */
    public boolean hasOpenParts() {
        return incidentAlert != null || paraOpen;
    }

    public OpenParagraph currentParagraph() {
        return !paraOpen ? null : new OpenParagraph(paraFirstLine, paraLastLine, paraTokenStart, paraTokenEnd, paraScored, paraSum,
                paraBackground, paraMax, paraText == null ? "" : paraText);
    }

    public void keepParagraph(OpenParagraph o) {
        paraOpen = o != null;
        paraFirstLine = o == null ? 0 : o.firstLine();
        paraLastLine = o == null ? 0 : o.lastLine();
        paraTokenStart = o == null ? 0 : o.tokenStart();
        paraTokenEnd = o == null ? 0 : o.tokenEnd();
        paraScored = o == null ? 0 : o.scored();
        paraSum = o == null ? 0 : o.sum();
        paraBackground = o == null ? 0 : o.background();
        paraMax = o == null ? 0 : o.max();
        paraText = o == null ? "" : o.text();
    }

    public OpenLine currentLine() {
        return new OpenLine(openLine, openLineTokens, openLineTokenStart, openLineScored, openLineSum, openLineMax,
                openLineText == null ? "" : openLineText);
    }

    public void keepLine(OpenLine o) {
        openLine = o.line();
        openLineTokens = o.tokens();
        openLineTokenStart = o.tokenStart();
        openLineScored = o.scored();
        openLineSum = o.sum();
        openLineMax = o.max();
        openLineText = o.text();
    }
}
