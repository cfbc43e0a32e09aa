package io.spikestream.operator;

import io.spikestream.avro.Alert;
import io.spikestream.avro.DocumentQuery;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.Rejected;
import io.spikestream.engine.Engine;
import io.spikestream.engine.UnusableModelException;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.Background;
import io.spikestream.engine.scoring.Calibration;
import io.spikestream.engine.scoring.LengthNorms;
import io.spikestream.engine.scoring.SegmentKind;
import io.spikestream.operator.engine.SharedEngines;
import io.spikestream.operator.input.Chunk;
import io.spikestream.operator.input.DocumentInput;
import io.spikestream.operator.input.InputReader;
import io.spikestream.operator.input.Record;
import io.spikestream.operator.process.DocumentContext;
import io.spikestream.operator.process.DocumentParts;
import io.spikestream.operator.process.OutputRecords;
import io.spikestream.operator.state.OpenDocuments;
import io.spikestream.operator.state.DocumentRecord;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
public class DocumentProcessor<T> extends KeyedCoProcessFunction<String, T, DocumentQuery, Enrichment> implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;

    /** Input that could not be used, with the reason. */
    public static final OutputTag<Rejected> REJECTED = new OutputTag<>("rejected", TypeInformation.of(Rejected.class)) {
        private static final long serialVersionUID = 1L;
    };

    /** Incidents: consecutive lines above the alert threshold ({@link Incidents}). */
    public static final OutputTag<Alert> ALERTS = new OutputTag<>("alerts", TypeInformation.of(Alert.class)) {
        private static final long serialVersionUID = 1L;
    };

    private final InputReader<T> reader;
    private final OperatorOptions options;
    private final Alerts alerts;
    private final Incidents incidents;
    private final SegmentKind segment;
    private final String sourceName;

    private transient Engine engine;
    private transient DocumentParts parts;
    /** Elements gathered per document until {@link #flush}; in arrival order, documents by first arrival. */
    private transient Map<String, List<Gathered>> pending;
    private transient int pendingCount;
    private transient long pendingChars;
    private transient boolean bundled;
    private transient OpenDocuments open;

    public DocumentProcessor(InputReader<T> reader, OperatorOptions options, Alerts alerts, Incidents incidents, SegmentKind segment,
                             String sourceName) {
        this.reader = reader;
        this.options = options;
        this.alerts = alerts;
        this.incidents = incidents;
        this.segment = segment;
        this.sourceName = sourceName;
    }

    /** A function configured as {@code configured} (for subclasses that observe or inject failures). */
    protected DocumentProcessor(DocumentProcessor<T> configured) {
        this(configured.reader, configured.options, configured.alerts, configured.incidents, configured.segment, configured.sourceName);
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        open = OpenDocuments.restore(context.getOperatorStateStore());
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        open.snapshot();
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
        double[] background = null;
        LengthNorms norms = null;
        try {
            threshold = alerts.threshold(Path.of(options.modelDir()), segment);
            if (segment == SegmentKind.PARAGRAPH) {
                Optional<Calibration> calibration = Calibration.read(Path.of(options.modelDir()));
                background = calibration.map(Calibration::background).map(Background::surprisals).orElse(null);
                norms = calibration.flatMap(c -> c.norms(SegmentKind.PARAGRAPH)).orElse(null);
                if (background != null && background.length != engine.model().config().vocabSize()) {
                    throw new IllegalArgumentException(Path.of(options.modelDir()).resolve(Calibration.FILE) + " counts " + background.length
                            + " tokens but the model has " + engine.model().config().vocabSize() + ": it belongs to another model");
                }
            }
        } catch (RuntimeException e) {
            // a bad threshold or an unreadable calibration.json: the same on every attempt, restarting cannot help
            release();
            throw new SuppressRestartsException(e);
        }
        parts = new DocumentParts(getRuntimeContext(), engine, options, threshold.orElse(null), incidents, segment, background, norms, sourceName,
                open != null ? open : OpenDocuments.unkept());
        pending = new LinkedHashMap<>();
        pendingCount = 0;
        pendingChars = 0;
    }

    /** Run by {@link DocumentOperator}: elements wait for {@link #flush}; otherwise each is applied as it arrives. */
    void bundled(boolean bundled) {
        this.bundled = bundled;
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

    /** Takes an element of the current document; it is applied now, or with its bundle ({@link DocumentOperator}). */
    @Override
    public void processElement1(T element, Context ctx, Collector<Enrichment> out) throws Exception {
        Gathered g = Gathered.read(reader, element, ctx.getCurrentKey());
        pending.computeIfAbsent(ctx.getCurrentKey(), k -> new ArrayList<>()).add(g);
        pendingCount++;
        pendingChars += g.chars();
        if (!bundled) {
            flush(ctx.getCurrentKey(), ctx, out);
        }
    }

    /** Elements gathered and not applied yet. */
    int pending() {
        return pendingCount;
    }

    /** Characters of text in the gathered elements. */
    long pendingChars() {
        return pendingChars;
    }

    /** The documents with gathered elements (a copy). */
    List<String> pendingKeys() {
        return new ArrayList<>(pending.keySet());
    }

    /**
     * Applies the elements gathered for {@code docId} (the current key) in their order; consecutive records, and
     * consecutive chunks, go through the engine in one pass, and the document's state is written once at the end. Its enrichments wait
     * for that write, so that the last one can say how many bytes it took.
     */
    void flush(String docId, Context ctx, Collector<Enrichment> out) throws Exception {
        List<Gathered> elements = pending.remove(docId);
        if (elements == null) {
            return;
        }
        pendingCount -= elements.size();
        for (Gathered g : elements) {
            pendingChars -= g.chars();
        }
        List<Enrichment> emitted = new ArrayList<>();
        Call call = new Call(ctx, emitted::add);
        DocumentRecord doc = null;
        List<Record> records = new ArrayList<>();
        for (Gathered g : elements) {
            DocumentInput input = g.input();
            if (input == null) {
                parts.unreadable(call, g.unreadable());
                continue;
            }
            if (DocumentScoring.NO_KEY.equals(docId)) {
                parts.unreadable(call, "NO_KEY: the element has no document key");
                continue;
            }
            if (doc == null) {
                doc = parts.load();
            }
            if (input instanceof Chunk c) {
                parts.records(doc, records, call);
                records.clear();
                parts.chunk(doc, c, call);
            } else {
                records.add((Record) input);
            }
        }
        if (!records.isEmpty()) {
            parts.records(doc, records, call);
        }
        long written = doc == null ? 0 : parts.finish(doc, call);
        OutputRecords.chargeWrite(emitted, written);
        for (Enrichment e : emitted) {
            out.collect(e);
        }
    }

    @Override
    public void processElement2(DocumentQuery query, Context ctx, Collector<Enrichment> out) throws Exception {
        flush(ctx.getCurrentKey(), ctx, out);
        parts.query(query, new Call(ctx, out::collect));
    }

    /** The input ended: the current document's open incident is emitted (run by {@link DocumentOperator} for each document). */
    void endOfInput(Context ctx, Collector<Enrichment> out) throws Exception {
        flush(ctx.getCurrentKey(), ctx, out);
        parts.endOfInput(new Call(ctx, out::collect));
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Enrichment> out) throws Exception {
        flush(ctx.getCurrentKey(), ctx, out);
        parts.timer(timestamp, new Call(ctx, out::collect));
    }

    private static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "unknown host: " + e.getMessage();
        }
    }

    /** An element as read when it arrived: its input, or why it cannot be read (rejected when it is applied). */
    private record Gathered(DocumentInput input, String unreadable) {
        static <T> Gathered read(InputReader<T> reader, T element, String docId) {
            try {
                return new Gathered(reader.read(element, docId), null);
            } catch (InputReader.Unreadable e) {
                return new Gathered(null, e.getMessage());
            }
        }

        long chars() {
            return input == null ? 0 : input.text().length();
        }
    }

    /** One call's document, clock, timers and outputs, as the parts see them. */
    private final class Call implements DocumentContext {
        private final Context ctx;
        private final java.util.function.Consumer<Enrichment> out;

        Call(Context ctx, java.util.function.Consumer<Enrichment> out) {
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
            out.accept(e);
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
