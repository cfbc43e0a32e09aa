package io.spikestream.connectors.kafka.access;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderInfo;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.SplitsAssignment;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.groups.SplitEnumeratorMetricGroup;
import org.apache.flink.streaming.api.lineage.LineageVertex;
import org.apache.flink.streaming.api.lineage.LineageVertexProvider;

/**
 * A Kafka source (any {@link Source}) whose refusals by Kafka — authentication, authorization, TLS — stop the
 * job instead of restarting it forever: the reader's and the split enumerator's failures pass through
 * {@link KafkaRefusal#failFast}. Everything else is the wrapped source's, unchanged (splits, checkpoints, uids).
 *
 * <p>The enumerator (on the JobManager) lists partitions and committed offsets with an admin client, the readers
 * (on the TaskManagers) fetch: each meets refusals of its own.
 */
public final class RefusalStopsSource<T, S extends SourceSplit, E>
        implements Source<T, S, E>, ResultTypeQueryable<T>, LineageVertexProvider {
    private static final long serialVersionUID = 1L;

    private final Source<T, S, E> source;
    private final String where;

    /** {@code where} names what it reads, for the reason ("the source of topic 'documents'"). */
    public RefusalStopsSource(Source<T, S, E> source, String where) {
        this.source = source;
        this.where = where;
    }

    @Override
    public Boundedness getBoundedness() {
        return source.getBoundedness();
    }

    @Override
    public SourceReader<T, S> createReader(SourceReaderContext readerContext) throws Exception {
        try {
            return new Reader<>(source.createReader(readerContext), where);
        } catch (Exception e) {
            throw KafkaRefusal.failFast(e, where);
        }
    }

    @Override
    public SplitEnumerator<S, E> createEnumerator(SplitEnumeratorContext<S> context) throws Exception {
        try {
            return source.createEnumerator(new EnumeratorContext<>(context, where));
        } catch (Exception e) {
            throw KafkaRefusal.failFast(e, where);
        }
    }

    @Override
    public SplitEnumerator<S, E> restoreEnumerator(SplitEnumeratorContext<S> context, E checkpoint) throws Exception {
        try {
            return source.restoreEnumerator(new EnumeratorContext<>(context, where), checkpoint);
        } catch (Exception e) {
            throw KafkaRefusal.failFast(e, where);
        }
    }

    @Override
    public SimpleVersionedSerializer<S> getSplitSerializer() {
        return source.getSplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<E> getEnumeratorCheckpointSerializer() {
        return source.getEnumeratorCheckpointSerializer();
    }

    @Override
    @SuppressWarnings("unchecked")
    public TypeInformation<T> getProducedType() {
        if (source instanceof ResultTypeQueryable<?> typed) {
            return (TypeInformation<T>) typed.getProducedType();
        }
        throw new IllegalStateException("the wrapped source " + source.getClass().getName() + " does not declare its type");
    }

    @Override
    public LineageVertex getLineageVertex() {
        return source instanceof LineageVertexProvider p ? p.getLineageVertex() : null;
    }

    private static final class Reader<T, S extends SourceSplit> implements SourceReader<T, S> {
        private final SourceReader<T, S> reader;
        private final String where;

        Reader(SourceReader<T, S> reader, String where) {
            this.reader = reader;
            this.where = where;
        }

        @Override
        public void start() {
            try {
                reader.start();
            } catch (RuntimeException e) {
                throw KafkaRefusal.failFast(e, where);
            }
        }

        @Override
        public InputStatus pollNext(ReaderOutput<T> output) throws Exception {
            try {
                return reader.pollNext(output);
            } catch (Exception e) {
                throw KafkaRefusal.failFast(e, where);
            }
        }

        @Override
        public List<S> snapshotState(long checkpointId) {
            return reader.snapshotState(checkpointId);
        }

        @Override
        public CompletableFuture<Void> isAvailable() {
            return reader.isAvailable();
        }

        @Override
        public void addSplits(List<S> splits) {
            reader.addSplits(splits);
        }

        @Override
        public void notifyNoMoreSplits() {
            reader.notifyNoMoreSplits();
        }

        @Override
        public void handleSourceEvents(SourceEvent sourceEvent) {
            reader.handleSourceEvents(sourceEvent);
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) throws Exception {
            reader.notifyCheckpointComplete(checkpointId);
        }

        @Override
        public void notifyCheckpointAborted(long checkpointId) throws Exception {
            reader.notifyCheckpointAborted(checkpointId);
        }

        @Override
        public void pauseOrResumeSplits(Collection<String> splitsToPause, Collection<String> splitsToResume) {
            reader.pauseOrResumeSplits(splitsToPause, splitsToResume);
        }

        @Override
        public void close() throws Exception {
            reader.close();
        }
    }

    /** The coordinator's context, with the enumerator's asynchronous calls' failures classified. */
    private static final class EnumeratorContext<S extends SourceSplit> implements SplitEnumeratorContext<S> {
        private final SplitEnumeratorContext<S> context;
        private final String where;

        EnumeratorContext(SplitEnumeratorContext<S> context, String where) {
            this.context = context;
            this.where = where;
        }

        private <V> BiConsumer<V, Throwable> classified(BiConsumer<V, Throwable> handler) {
            return (value, error) -> {
                try {
                    handler.accept(value, error);
                } catch (RuntimeException e) {
                    throw KafkaRefusal.failFast(e, where);
                }
            };
        }

        @Override
        public <V> void callAsync(Callable<V> callable, BiConsumer<V, Throwable> handler) {
            context.callAsync(callable, classified(handler));
        }

        @Override
        public <V> void callAsync(Callable<V> callable, BiConsumer<V, Throwable> handler, long initialDelay, long period) {
            context.callAsync(callable, classified(handler), initialDelay, period);
        }

        @Override
        public SplitEnumeratorMetricGroup metricGroup() {
            return context.metricGroup();
        }

        @Override
        public void sendEventToSourceReader(int subtaskId, SourceEvent event) {
            context.sendEventToSourceReader(subtaskId, event);
        }

        @Override
        public void sendEventToSourceReader(int subtaskId, int attemptNumber, SourceEvent event) {
            context.sendEventToSourceReader(subtaskId, attemptNumber, event);
        }

        @Override
        public int currentParallelism() {
            return context.currentParallelism();
        }

        @Override
        public Map<Integer, ReaderInfo> registeredReaders() {
            return context.registeredReaders();
        }

        @Override
        public Map<Integer, Map<Integer, ReaderInfo>> registeredReadersOfAttempts() {
            return context.registeredReadersOfAttempts();
        }

        @Override
        public void assignSplits(SplitsAssignment<S> newSplitAssignments) {
            context.assignSplits(newSplitAssignments);
        }

        @Override
        public void assignSplit(S split, int subtask) {
            context.assignSplit(split, subtask);
        }

        @Override
        public void signalNoMoreSplits(int subtask) {
            context.signalNoMoreSplits(subtask);
        }

        @Override
        public void runInCoordinatorThread(Runnable runnable) {
            context.runInCoordinatorThread(runnable);
        }

        @Override
        public void setIsProcessingBacklog(boolean isProcessingBacklog) {
            context.setIsProcessingBacklog(isProcessingBacklog);
        }
    }
}
