package io.spikestream.operator;

import io.spikestream.avro.DocumentQuery;
import io.spikestream.avro.Enrichment;
import io.spikestream.operator.state.DocumentRecord;
import io.spikestream.operator.state.DocumentRecords;
import org.apache.flink.annotation.Internal;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.SimpleTimerService;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.streaming.api.operators.AbstractUdfStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.TimestampedCollector;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * The keyed two-input operator that runs a {@link DocumentProcessor} in bundles ({@link Bundles}): elements are
 * gathered per document and applied together when the bundle is full or old enough, before a checkpoint barrier
 * is forwarded, when the input ends, and — for their document — before a query or a timer of it, so that every
 * answer and every timer sees the document as an element-by-element run would.
 *
 * <p>Its timers and keyed state are those of Flink's {@code KeyedCoProcessOperator} (the 0.1 release's
 * operator), so its savepoints restore here.
 */
@Internal
public final class DocumentOperator<T> extends AbstractUdfStreamOperator<Enrichment, DocumentProcessor<T>>
        implements TwoInputStreamOperator<T, DocumentQuery, Enrichment>, Triggerable<String, VoidNamespace>, BoundedMultiInput {
    private static final long serialVersionUID = 1L;

    private final Bundles bundles;

    private transient TimestampedCollector<Enrichment> collector;
    private transient ElementContext context;
    private transient TimerContext timerContext;
    private transient boolean bundleTimerSet;
    /** Inputs that ended (bounded input): a gauge, so that a job's runner knows everything was applied. */
    private transient volatile int inputsEnded;

    public DocumentOperator(DocumentProcessor<T> function, Bundles bundles) {
        super(function);
        this.bundles = bundles;
    }

    @Override
    public void open() throws Exception {
        userFunction.bundled(true);
        super.open();
        collector = new TimestampedCollector<>(output);
        // the name and namespace KeyedCoProcessOperator gives its timers: 0.1 savepoints' timers restore here
        InternalTimerService<VoidNamespace> timers = getInternalTimerService("user-timers", VoidNamespaceSerializer.INSTANCE, this);
        TimerService timerService = new SimpleTimerService(timers);
        context = new ElementContext(userFunction, timerService);
        timerContext = new TimerContext(userFunction, timerService);
        getMetricGroup().addGroup("spikestream").gauge("inputsEnded", () -> inputsEnded);
    }

    @Override
    public void processElement1(StreamRecord<T> element) throws Exception {
        collector.setTimestamp(element);
        context.element = element;
        userFunction.processElement1(element.getValue(), context, collector);
        context.element = null;
        if (bundles.full(userFunction.pending(), userFunction.pendingChars())) {
            flushAll();
        } else if (!bundleTimerSet && userFunction.pending() > 0) {
            bundleTimerSet = true;
            long at = getProcessingTimeService().getCurrentProcessingTime() + bundles.time().toMillis();
            getProcessingTimeService().registerTimer(at, t -> flushAll());
        }
    }

    @Override
    public void processElement2(StreamRecord<DocumentQuery> element) throws Exception {
        flushKey((String) getCurrentKey());
        collector.setTimestamp(element);
        context.element = element;
        userFunction.processElement2(element.getValue(), context, collector);
        context.element = null;
    }

    @Override
    public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        flushKey(timer.getKey());
        collector.eraseTimestamp();
        timerContext.timer = timer;
        timerContext.domain = TimeDomain.PROCESSING_TIME;
        userFunction.onTimer(timer.getTimestamp(), timerContext, collector);
        timerContext.timer = null;
    }

    @Override
    public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        flushKey(timer.getKey());
        collector.setAbsoluteTimestamp(timer.getTimestamp());
        timerContext.timer = timer;
        timerContext.domain = TimeDomain.EVENT_TIME;
        userFunction.onTimer(timer.getTimestamp(), timerContext, collector);
        timerContext.timer = null;
    }

    /** A checkpoint never holds half a bundle: what was gathered is applied (and emitted) before the barrier. */
    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flushAll();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void endInput(int inputId) throws Exception {
        flushAll();
        if (inputId == 1) {
            // no processing-time timer fires after the input: each document's open paragraph and incident are emitted now
            getKeyedStateBackend().applyToAllKeys(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, DocumentRecords.descriptor(),
                    (key, state) -> {
                        DocumentRecord r = state.value();
                        if (r != null && r.endsOpen()) {
                            collector.eraseTimestamp();
                            userFunction.endOfInput(context, collector);
                        }
                    });
        }
        inputsEnded++;
    }

    @Override
    public void finish() throws Exception {
        flushAll();
        super.finish();
    }

    /** Applies every gathered element, document by document. */
    private void flushAll() throws Exception {
        bundleTimerSet = false;
        for (String key : userFunction.pendingKeys()) {
            setCurrentKey(key);
            flush(key);
        }
    }

    /** Applies the elements gathered for {@code key}, the current key. */
    private void flushKey(String key) throws Exception {
        if (userFunction.pending() > 0) {
            flush(key);
        }
    }

    private void flush(String key) throws Exception {
        collector.eraseTimestamp();
        userFunction.flush(key, context, collector);
    }

    /** The function's context while it handles an element. */
    private final class ElementContext extends KeyedCoProcessFunction<String, T, DocumentQuery, Enrichment>.Context {
        private final TimerService timerService;
        private StreamRecord<?> element;

        ElementContext(KeyedCoProcessFunction<String, T, DocumentQuery, Enrichment> function, TimerService timerService) {
            function.super();
            this.timerService = timerService;
        }

        @Override
        public Long timestamp() {
            return element != null && element.hasTimestamp() ? element.getTimestamp() : null;
        }

        @Override
        public TimerService timerService() {
            return timerService;
        }

        @Override
        public <X> void output(OutputTag<X> outputTag, X value) {
            output.collect(outputTag, new StreamRecord<>(value));
        }

        @Override
        public String getCurrentKey() {
            return (String) DocumentOperator.this.getCurrentKey();
        }
    }

    /** The function's context while it handles a timer. */
    private final class TimerContext extends KeyedCoProcessFunction<String, T, DocumentQuery, Enrichment>.OnTimerContext {
        private final TimerService timerService;
        private InternalTimer<String, VoidNamespace> timer;
        private TimeDomain domain;

        TimerContext(KeyedCoProcessFunction<String, T, DocumentQuery, Enrichment> function, TimerService timerService) {
            function.super();
            this.timerService = timerService;
        }

        @Override
        public Long timestamp() {
            return timer.getTimestamp();
        }

        @Override
        public TimerService timerService() {
            return timerService;
        }

        @Override
        public <X> void output(OutputTag<X> outputTag, X value) {
            output.collect(outputTag, new StreamRecord<>(value, timer.getTimestamp()));
        }

        @Override
        public TimeDomain timeDomain() {
            return domain;
        }

        @Override
        public String getCurrentKey() {
            return timer.getKey();
        }
    }
}
