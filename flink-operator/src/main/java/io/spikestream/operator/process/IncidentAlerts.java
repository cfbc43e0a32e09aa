package io.spikestream.operator.process;

import io.spikestream.avro.Alert;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.IncidentTracker;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.operator.state.ProgressState;
import io.spikestream.records.AvroCodec;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * Alerts as incidents: a document's alerting lines with at most {@code gap} scored quiet
 * lines between them become one alert, named by the first line (its source coordinates), with the range, the
 * count and the highest-scoring line. The open incident lives in {@link ProgressState} (keyed state, so it is
 * checkpointed with the document); it closes on the first quiet line past the gap, at the document's end, on
 * expiry, or on a processing-time timer when the document stays quiet for {@code timeout}.
 */
final class IncidentAlerts {
    private static final AvroCodec<Alert> CODEC = AvroCodec.alert();

    private final AlertThreshold threshold;
    private final int gap;
    private final Duration timeout;
    private final OperatorMetrics metrics;

    IncidentAlerts(AlertThreshold threshold, io.spikestream.operator.Incidents settings, OperatorMetrics metrics) {
        this(threshold, settings.gap(), settings.timeout(), metrics);
    }

    IncidentAlerts(AlertThreshold threshold, int gap, Duration timeout, OperatorMetrics metrics) {
        this.threshold = threshold;
        this.gap = gap;
        this.timeout = timeout;
        this.metrics = metrics;
    }

    /** The document's next line; {@code alert} makes the alert of the line (with its source) if it opens an incident. */
    void line(ProgressState p, LineScore l, Supplier<Alert> alert, DocumentContext ctx) {
        if (gap < 0) { // an alert per line
            if (threshold.exceeded(l)) {
                metrics.alerts.inc();
                ctx.alert(alert.get());
            }
            return;
        }
        boolean open = p.incidentAlert != null;
        switch (IncidentTracker.step(threshold, gap, open, p.incidentQuiet, l)) {
            case NOTHING -> {
            }
            case QUIET -> p.incidentQuiet += open ? 1 : 0;
            case CLOSE -> close(p, ctx);
            case OPEN -> {
                p.incidentAlert = CODEC.encode(alert.get());
                p.incidentLastLine = l.line();
                p.incidentTopLine = l.line();
                p.incidentTopScore = threshold.score(l);
                p.incidentTopText = l.text();
                p.incidentAlerting = 1;
                p.incidentQuiet = 0;
                rearm(p, ctx);
            }
            case EXTEND -> {
                p.incidentLastLine = l.line();
                if (threshold.score(l) > p.incidentTopScore) {
                    p.incidentTopLine = l.line();
                    p.incidentTopScore = threshold.score(l);
                    p.incidentTopText = l.text();
                }
                p.incidentAlerting++;
                p.incidentQuiet = 0;
                rearm(p, ctx);
            }
        }
    }

    /** Emits the open incident, if any (a quiet line past the gap, the document's end, expiry, a rejection). */
    void close(ProgressState p, DocumentContext ctx) {
        if (p.incidentAlert == null) {
            return;
        }
        Alert a;
        try {
            a = CODEC.decode(p.incidentAlert);
        } catch (io.spikestream.records.AvroDecodeException e) {
            throw new io.spikestream.engine.state.StateFormatException("the open incident's alert in the document's state cannot be read: "
                    + e.getMessage(), e);
        }
        a.setLineEnd(p.incidentLastLine);
        a.setAlertingLines(p.incidentAlerting);
        a.setTopLine(p.incidentTopLine);
        a.setTopScore(p.incidentTopScore);
        a.setTopText(p.incidentTopText);
        a.setProcessedAtMs(ctx.now());
        metrics.alerts.inc();
        ctx.alert(a);
        if (p.incidentTimerMs != 0) {
            ctx.timers().deleteProcessingTimeTimer(p.incidentTimerMs);
        }
        p.incidentAlert = null;
        p.incidentTopText = null;
        p.incidentAlerting = 0;
        p.incidentQuiet = 0;
        p.incidentTimerMs = 0;
    }

    /** A timer of the document fired: the incident closes when it is its timer. */
    void onTimer(ProgressState p, long timestamp, DocumentContext ctx) {
        if (p.incidentAlert != null && timestamp == p.incidentTimerMs) {
            close(p, ctx);
        }
    }

    private void rearm(ProgressState p, DocumentContext ctx) {
        if (p.incidentTimerMs != 0) {
            ctx.timers().deleteProcessingTimeTimer(p.incidentTimerMs);
        }
        p.incidentTimerMs = ctx.now() + timeout.toMillis();
        ctx.timers().registerProcessingTimeTimer(p.incidentTimerMs);
    }
}
