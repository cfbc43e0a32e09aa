package io.spikestream.operator;

import io.spikestream.avro.Alert;
import io.spikestream.avro.DocumentQuery;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.Rejected;
import io.spikestream.engine.Engine;
import io.spikestream.engine.UnusableModelException;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.operator.engine.SharedEngines;
import io.spikestream.operator.input.Chunk;
import io.spikestream.operator.input.DocumentInput;
import io.spikestream.operator.input.InputReader;
import io.spikestream.operator.input.Record;
import io.spikestream.operator.process.DocumentContext;
import io.spikestream.operator.process.DocumentParts;
import io.spikestream.operator.state.DocumentRecord;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The keyed function behind {@link DocumentScoring}, keyed by document: input 1 (the user's elements, as
 * {@link Chunk}s or {@link Record}s) advances the document's engine state, input 2 (queries) is answered from a
 * fork of it. It only dispatches; each concern is a part of {@link DocumentParts}: chunk order, record order,
 * the document's lifetime, scoring, answering, the output records.
 *
 * <p>Bad input never fails the job: it goes to {@link #REJECTED} with the reason. A model that cannot be
 * loaded on a TaskManager fails the job at once, without restarts.
 *
 * <p>Internal: use {@link DocumentScoring}. Extending it is for tests that inject failures.
 */
@Internal
public class DocumentProcessor<T> extends KeyedCoProcessFunction<String, T, DocumentQuery, Enrichment> {
    private static final long serialVersionUID = 1L;

    /** Input that could not be used, with the reason. */
    public static final OutputTag<Rejected> REJECTED = new OutputTag<>("rejected", TypeInformation.of(Rejected.class)) {
        private static final long serialVersionUID = 1L;
    };

    /** Lines above the alert threshold. */
    public static final OutputTag<Alert> ALERTS = new OutputTag<>("alerts", TypeInformation.of(Alert.class)) {
        private static final long serialVersionUID = 1L;
    };

    private final InputReader<T> reader;
    private final OperatorOptions options;
    private final Alerts alerts;
    private final String sourceName;

    private transient Engine engine;
    private transient DocumentParts parts;

    public DocumentProcessor(InputReader<T> reader, OperatorOptions options, Alerts alerts, String sourceName) {
        this.reader = reader;
        this.options = options;
        this.alerts = alerts;
        this.sourceName = sourceName;
    }

    /** A function configured as {@code configured} (for subclasses that observe or inject failures). */
    protected DocumentProcessor(DocumentProcessor<T> configured) {
        this(configured.reader, configured.options, configured.alerts, configured.sourceName);
    }

    @Override
    public void open(OpenContext openContext) {
        // A model that cannot load now will not load after a restart either: fail the job with the reason.
        try {
            engine = SharedEngines.acquire(Path.of(options.modelDir()), options.engineThreads());
        } catch (RuntimeException e) {
            throw new SuppressRestartsException(new UnusableModelException("the model in " + options.modelDir()
                    + " cannot be loaded on this TaskManager (" + host() + "): " + e.getMessage(), e));
        }
        if (engine.tokenizer().isEmpty()) {
            release();
            throw new SuppressRestartsException(new UnusableModelException("the model in " + options.modelDir() + " on this TaskManager ("
                    + host() + ") has no tokenizer files (vocab.json + merges.txt, or tokenizer.json); documents are text", null));
        }
        Optional<AlertThreshold> threshold;
        try {
            threshold = alerts.threshold(Path.of(options.modelDir()));
        } catch (RuntimeException e) {
            // a bad threshold or an unreadable calibration.json: the same on every attempt, restarting cannot help
            release();
            throw new SuppressRestartsException(e);
        }
        parts = new DocumentParts(getRuntimeContext(), engine, options, threshold.orElse(null), sourceName);
    }

    @Override
    public void close() {
        release();
    }

    private void release() {
        if (engine != null) {
            SharedEngines.release(engine);
            engine = null;
        }
    }

    @Override
    public void processElement1(T element, Context ctx, Collector<Enrichment> out) throws Exception {
        Call call = new Call(ctx, out);
        DocumentInput input;
        try {
            input = reader.read(element, ctx.getCurrentKey());
        } catch (InputReader.Unreadable e) {
            parts.unreadable(call, e.getMessage());
            return;
        }
        if (DocumentScoring.NO_KEY.equals(ctx.getCurrentKey())) {
            parts.unreadable(call, "NO_KEY: the element has no document key");
            return;
        }
        DocumentRecord doc = parts.load();
        if (input instanceof Chunk c) {
            parts.chunk(doc, c, call);
        } else {
            parts.record(doc, (Record) input, call);
        }
    }

    @Override
    public void processElement2(DocumentQuery query, Context ctx, Collector<Enrichment> out) throws Exception {
        parts.query(query, new Call(ctx, out));
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Enrichment> out) throws Exception {
        parts.timer(timestamp, new Call(ctx, out));
    }

    private static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "unknown host: " + e.getMessage();
        }
    }

    /** One call's document, clock, timers and outputs, as the parts see them. */
    private final class Call implements DocumentContext {
        private final Context ctx;
        private final Collector<Enrichment> out;

        Call(Context ctx, Collector<Enrichment> out) {
            this.ctx = ctx;
            this.out = out;
        }

        @Override
        public String docId() {
            return ctx.getCurrentKey();
        }

        @Override
        public TimerService timers() {
            return ctx.timerService();
        }

        @Override
        public void emit(Enrichment e) {
            out.collect(e);
        }

        @Override
        public void alert(Alert a) {
            ctx.output(ALERTS, a);
        }

        @Override
        public void reject(Rejected r) {
            ctx.output(REJECTED, r);
        }
    }
}
