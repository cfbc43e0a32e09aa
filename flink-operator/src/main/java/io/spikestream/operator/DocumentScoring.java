package io.spikestream.operator;

import io.spikestream.avro.DocumentChunk;
import io.spikestream.avro.DocumentQuery;
import io.spikestream.avro.Enrichment;
import io.spikestream.engine.scoring.SegmentKind;
import io.spikestream.operator.input.InputReader;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.function.SerializableFunction;

import java.io.Serializable;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * Scores any {@code DataStream<T>} with a SpikeStream model, keeping each document's model state in Flink keyed
 * state: documents of any length, processed incrementally, checkpointed, restored bit for bit.
 *
 * <pre>{@code
 * ScoredStreams scored = DocumentScoring.<LogEvent>builder()
 *         .model(Path.of("/models/demo-logs"))
 *         .documentKey(LogEvent::getHost)     // one document per host
 *         .text(LogEvent::getMessage)
 *         .records()                          // lines in arrival order
 *         .build()
 *         .apply(events);
 * scored.enrichments().print();               // one RECORD per event, with each line's surprisal
 * scored.alerts().print();                    // lines above the model's calibrated p99.9
 * }</pre>
 *
 * Two orders: {@link Builder#records records} (each element a piece of text, applied in arrival order; with
 * {@link RecordSource} coordinates a replayed offset is recognized and dropped) and {@link Builder#chunks chunks}
 * (numbered pieces of a document, applied in sequence order whatever order they arrive in, the last one ending
 * the document). Questions about documents ({@link DocumentQuery}) may come as a second stream.
 *
 * <p>What holds: exactly-once results with Flink's checkpoints (state and input offsets restore together), the
 * same bits for any chunking and any restore point, one engine per model per TaskManager shared by its slots,
 * input that cannot be used goes to {@link ScoredStreams#rejected()} with the reason and never fails the job, a
 * model that cannot be loaded fails the job at once without restarts.
 *
 * <p>Stability: public, evolving (in the sense of Flink's {@code @PublicEvolving}: the API may still change
 * between minor releases, stored state will keep restoring).
 */
public final class DocumentScoring<T> implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The document key an element without one gets: such an element is rejected. */
    static final String NO_KEY = "\u0000no-key";

    private final KeySelector<T, String> documentKey;
    private final InputReader<T> reader;
    private final OperatorOptions options;
    private final Alerts alerts;
    private final Incidents incidents;
    private final SegmentKind segment;
    private final String sourceName;
    private final String uid;
    private final String name;
    private final Bundles bundles;

    private DocumentScoring(Builder<T> b, InputReader<T> reader, Alerts alerts) {
        this.documentKey = new NullSafeKey<>(b.documentKey);
        this.reader = reader;
        this.options = b.options;
        this.alerts = alerts;
        this.incidents = b.incidents;
        this.segment = b.segment;
        this.sourceName = b.sourceName;
        this.uid = b.uid;
        this.name = b.name;
        this.bundles = b.bundles;
    }

    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    /** A builder for streams of SpikeStream's own {@link DocumentChunk}s: key, text, order and attributes already set. */
    public static Builder<DocumentChunk> documentChunks() {
        Builder<DocumentChunk> b = new Builder<>();
        b.documentKey(DocumentChunk::getDocId).text(DocumentChunk::getText).chunks(DocumentChunk::getSeq, DocumentChunk::getLast);
        b.chunkAttributes = DocumentChunk::getAttributes;
        b.eventTime = DocumentChunk::getEventTime;
        return b;
    }

    /** Scores {@code input}; nobody asks questions. */
    public ScoredStreams apply(DataStream<T> input) {
        // an empty stream: Flink has no empty source, so one number that a filter drops
        DataStream<DocumentQuery> none = input.getExecutionEnvironment().fromSequence(0, 0).setParallelism(1).name("no queries")
                .filter(x -> false).setParallelism(1)
                .map(x -> (DocumentQuery) null).returns(TypeInformation.of(DocumentQuery.class)).setParallelism(1);
        return apply(input, none);
    }

    /** Scores {@code input} and answers {@code queries} about its documents (keyed by {@link DocumentQuery#getDocId()}). */
    public ScoredStreams apply(DataStream<T> input, DataStream<DocumentQuery> queries) {
        return apply(input, queries, processor());
    }

    /** As {@link #apply(DataStream, DataStream)} with a given function instance (a subclass that injects failures). */
    public ScoredStreams apply(DataStream<T> input, DataStream<DocumentQuery> queries, DocumentProcessor<T> processor) {
        SingleOutputStreamOperator<Enrichment> enrichments = input.keyBy(documentKey)
                .connect(queries.keyBy(DocumentQuery::getDocId))
                .transform(name, TypeInformation.of(Enrichment.class), operator(processor))
                .uid(uid);
        return new ScoredStreams(enrichments);
    }

    /** Which document an element belongs to (null keys, which Flink cannot key by, become a key that is rejected). */
    public KeySelector<T, String> documentKey() {
        return documentKey;
    }

    /** The keyed operator this scoring runs, around {@code processor}. */
    public DocumentOperator<T> operator(DocumentProcessor<T> processor) {
        return new DocumentOperator<>(processor, bundles);
    }

    public Bundles bundles() {
        return bundles;
    }

    /** The keyed function this scoring runs. */
    public DocumentProcessor<T> processor() {
        return new DocumentProcessor<>(reader, options, alerts, incidents, segment, sourceName);
    }

    public OperatorOptions options() {
        return options;
    }

    /** What is scored into segments and alerted: lines (default) or paragraphs. */
    public SegmentKind segment() {
        return segment;
    }

    public Incidents incidents() {
        return incidents;
    }

    /** When lines alert, as resolved when this was built. */
    public Alerts alerts() {
        return alerts;
    }

    /**
     * The settings of one scoring; {@link #build()} checks that the key, the text, the order and the model are
     * given, and resolves the alert threshold once.
     */
    public static final class Builder<T> {
        private KeySelector<T, String> documentKey;
        private SerializableFunction<T, String> text;
        private InputReader.Order<T> order;
        private SerializableFunction<T, Map<String, String>> chunkAttributes;
        private SerializableFunction<T, Instant> eventTime;
        private OperatorOptions options;
        private String alertThreshold;
        private Alerts alerts;
        private String sourceName = "input";
        private String uid = "spikestream-documents";
        private String name = "spikestream documents";
        private Bundles bundles = Bundles.DEFAULT;
        private Incidents incidents = Incidents.DEFAULT;
        private SegmentKind segment = SegmentKind.LINE;

        private Builder() {
        }

        /** How many elements are gathered before they are applied together; default {@link Bundles#DEFAULT}. */
        public Builder<T> bundles(Bundles bundles) {
            this.bundles = Objects.requireNonNull(bundles, "bundles");
            return this;
        }

        /** The model directory (config.json, safetensors, tokenizer files), on every TaskManager; default settings. */
        public Builder<T> model(Path modelDir) {
            this.options = OperatorOptions.defaults(modelDir.toAbsolutePath().toString());
            return this;
        }

        /** The model directory and every other operator setting. */
        public Builder<T> options(OperatorOptions options) {
            this.options = Objects.requireNonNull(options, "options");
            return this;
        }

        /** Which document an element belongs to (its key in keyed state). */
        public Builder<T> documentKey(KeySelector<T, String> documentKey) {
            this.documentKey = Objects.requireNonNull(documentKey, "documentKey");
            return this;
        }

        /** The element's text: one line or several. */
        public Builder<T> text(SerializableFunction<T, String> text) {
            this.text = Objects.requireNonNull(text, "text");
            return this;
        }

        /** Elements are records applied in arrival order, each line scored on its own (one RECORD enrichment each). */
        public Builder<T> records() {
            this.order = new InputReader.Arrival<>(null);
            return this;
        }

        /**
         * Records in arrival order with their coordinates: a partition's records must arrive in offset order, and a
         * replayed offset is a duplicate (dropped, counted). An element whose coordinates are null is rejected.
         */
        public Builder<T> records(SerializableFunction<T, RecordSource> source) {
            this.order = new InputReader.Arrival<>(Objects.requireNonNull(source, "source"));
            return this;
        }

        /**
         * Elements are numbered chunks of documents: applied in {@code seq} order from 0 whatever order they arrive
         * in (early ones wait, duplicates are dropped, a gap that does not fill rejects the document); {@code last}
         * ends the document (an END record; its state goes after the grace period).
         */
        public Builder<T> chunks(SerializableFunction<T, Long> seq, SerializableFunction<T, Boolean> last) {
            this.order = new InputReader.Sequenced<>(seq, last, null, null);
            return this;
        }

        /** {@code off}, a quantile of the model's calibration ({@code p99.9}) or nats per token; default p99.9 when calibrated. */
        public Builder<T> alertThreshold(String spec) {
            this.alertThreshold = spec;
            this.alerts = null;
            return this;
        }

        /** When lines alert, resolved already. */
        public Builder<T> alerts(Alerts alerts) {
            this.alerts = Objects.requireNonNull(alerts, "alerts");
            return this;
        }

        /** How alerting lines group into alerts (default {@link Incidents#DEFAULT}: consecutive lines, 10 s timeout). */
        public Builder<T> incidents(Incidents incidents) {
            this.incidents = Objects.requireNonNull(incidents, "incidents");
            return this;
        }

        /**
         * What alerts and is reported beyond lines (default {@link SegmentKind#LINE}: lines, alerts grouped into
         * incidents): {@link SegmentKind#PARAGRAPH} — the lines between blank lines, a Markdown heading on its own —
         * adds each record's or chunk's completed paragraphs to its enrichment ({@code segments}) and alerts on
         * paragraphs, one alert each, at the calibration's paragraph threshold.
         */
        public Builder<T> segment(SegmentKind segment) {
            this.segment = Objects.requireNonNull(segment, "segment");
            return this;
        }

        /** The name rejections and chunk alerts give as their source (default {@code input}). */
        public Builder<T> sourceName(String sourceName) {
            this.sourceName = Objects.requireNonNull(sourceName, "sourceName");
            return this;
        }

        /** The operator's uid: keep it across versions of a job, its state is found by it. */
        public Builder<T> uid(String uid) {
            this.uid = Objects.requireNonNull(uid, "uid");
            return this;
        }

        public Builder<T> name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        public DocumentScoring<T> build() {
            if (options == null) {
                throw new IllegalArgumentException("DocumentScoring needs a model: model(Path) or options(OperatorOptions)");
            }
            if (documentKey == null || text == null) {
                throw new IllegalArgumentException("DocumentScoring needs " + (documentKey == null ? "documentKey(...)" : "text(...)"));
            }
            if (order == null) {
                throw new IllegalArgumentException("DocumentScoring needs an order: records(), records(source) or chunks(seq, last)");
            }
            InputReader.Order<T> o = order;
            if (o instanceof InputReader.Sequenced<T> s) {
                o = new InputReader.Sequenced<>(s.seq(), s.last(), chunkAttributes, eventTime);
            }
            Alerts resolved = alerts != null ? alerts : Alerts.resolve(alertThreshold, Path.of(options.modelDir()), segment);
            return new DocumentScoring<>(this, new InputReader<>(text, o), resolved);
        }
    }

    /** The user's key, or {@link #NO_KEY} when it gives none (Flink cannot key by null; the element is rejected). */
    private static final class NullSafeKey<T> implements KeySelector<T, String> {
        private static final long serialVersionUID = 1L;
        private final KeySelector<T, String> key;

        NullSafeKey(KeySelector<T, String> key) {
            this.key = key;
        }

        @Override
        public String getKey(T value) throws Exception {
            String k;
            try {
                k = key.getKey(value);
            } catch (RuntimeException e) {
                return NO_KEY;
            }
            return k == null ? NO_KEY : k;
        }
    }
}
