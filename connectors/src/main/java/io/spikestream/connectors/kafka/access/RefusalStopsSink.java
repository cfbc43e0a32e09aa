package io.spikestream.connectors.kafka.access;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.apache.flink.api.common.JobInfo;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.metrics.groups.SinkWriterMetricGroup;
import org.apache.flink.util.UserCodeClassLoader;
import org.apache.flink.util.function.ThrowingRunnable;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaWriterState;
import org.apache.flink.connector.kafka.sink.TwoPhaseCommittingStatefulSink;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.SupportsPostCommitTopology;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.lineage.LineageVertex;
import org.apache.flink.streaming.api.lineage.LineageVertexProvider;

/**
 * A {@link KafkaSink} whose refusals by Kafka — authentication, authorization of the topic or of the
 * transactional ids, TLS — stop the job instead of restarting it forever: the writer's and the committer's
 * failures pass through {@link KafkaRefusal#failFast}. Everything else is the Kafka sink's, unchanged (its
 * writer state and committables, so checkpoints of jobs without the wrapper restore into jobs with it).
 */
public final class RefusalStopsSink<T>
        implements TwoPhaseCommittingStatefulSink<T, KafkaWriterState, KafkaCommittable>, SupportsPostCommitTopology<KafkaCommittable>,
        LineageVertexProvider {
    private static final long serialVersionUID = 1L;

    private final KafkaSink<T> sink;
    private final String where;

    /** {@code where} names what it writes, for the reason ("the sink to 'enrichments', transactional ids 'job-enrichments-*'"). */
    public RefusalStopsSink(KafkaSink<T> sink, String where) {
        this.sink = sink;
        this.where = where;
    }

    @Override
    public PrecommittingStatefulSinkWriter<T, KafkaWriterState, KafkaCommittable> createWriter(WriterInitContext context) throws IOException {
        try {
            return new Writer<>(sink.createWriter(new ClassifyingContext(context, where)), where);
        } catch (IOException | RuntimeException e) {
            throw rethrown(e);
        }
    }

    @Override
    public PrecommittingStatefulSinkWriter<T, KafkaWriterState, KafkaCommittable> restoreWriter(
            WriterInitContext context, Collection<KafkaWriterState> recoveredState) throws IOException {
        try {
            return new Writer<>(sink.restoreWriter(new ClassifyingContext(context, where), recoveredState), where);
        } catch (RuntimeException e) {
            throw KafkaRefusal.failFast(e, where);
        }
    }

    private IOException rethrown(Exception e) {
        Exception classified = KafkaRefusal.failFast(e, where);
        if (classified instanceof RuntimeException r) {
            throw r;
        }
        return (IOException) classified;
    }

    @Override
    public SimpleVersionedSerializer<KafkaWriterState> getWriterStateSerializer() {
        return sink.getWriterStateSerializer();
    }

    @Override
    public Committer<KafkaCommittable> createCommitter(CommitterInitContext context) throws IOException {
        return new ClassifyingCommitter(sink.createCommitter(context), where);
    }

    @Override
    public SimpleVersionedSerializer<KafkaCommittable> getCommittableSerializer() {
        return sink.getCommittableSerializer();
    }

    @Override
    public void addPostCommitTopology(DataStream<CommittableMessage<KafkaCommittable>> committables) {
        sink.addPostCommitTopology(committables);
    }

    @Override
    public LineageVertex getLineageVertex() {
        return sink.getLineageVertex();
    }

    private static final class Writer<T> implements PrecommittingStatefulSinkWriter<T, KafkaWriterState, KafkaCommittable> {
        private final PrecommittingStatefulSinkWriter<T, KafkaWriterState, KafkaCommittable> writer;
        private final String where;

        Writer(PrecommittingStatefulSinkWriter<T, KafkaWriterState, KafkaCommittable> writer, String where) {
            this.writer = writer;
            this.where = where;
        }

        @Override
        public void write(T element, Context context) throws IOException, InterruptedException {
            try {
                writer.write(element, context);
            } catch (IOException | RuntimeException e) {
                throw classified(e);
            }
        }

        @Override
        public void flush(boolean endOfInput) throws IOException, InterruptedException {
            try {
                writer.flush(endOfInput);
            } catch (IOException | RuntimeException e) {
                throw classified(e);
            }
        }

        @Override
        public void writeWatermark(Watermark watermark) throws IOException, InterruptedException {
            writer.writeWatermark(watermark);
        }

        @Override
        public Collection<KafkaCommittable> prepareCommit() throws IOException, InterruptedException {
            try {
                return writer.prepareCommit();
            } catch (IOException | RuntimeException e) {
                throw classified(e);
            }
        }

        @Override
        public List<KafkaWriterState> snapshotState(long checkpointId) throws IOException {
            try {
                return writer.snapshotState(checkpointId);
            } catch (IOException | RuntimeException e) {
                throw classified(e);
            }
        }

        @Override
        public void close() throws Exception {
            writer.close();
        }

        private IOException classified(Exception e) {
            Exception c = KafkaRefusal.failFast(e, where);
            if (c instanceof RuntimeException r) {
                throw r;
            }
            return (IOException) c;
        }
    }

    /** Commits as the Kafka committer does; a refusal it reports becomes one that stops the job. */
    private static final class ClassifyingCommitter implements Committer<KafkaCommittable> {
        private final Committer<KafkaCommittable> committer;
        private final String where;

        ClassifyingCommitter(Committer<KafkaCommittable> committer, String where) {
            this.committer = committer;
            this.where = where;
        }

        @Override
        public void commit(Collection<CommitRequest<KafkaCommittable>> requests) throws IOException, InterruptedException {
            List<CommitRequest<KafkaCommittable>> wrapped = new ArrayList<>(requests.size());
            for (CommitRequest<KafkaCommittable> r : requests) {
                wrapped.add(new Request(r, where));
            }
            try {
                committer.commit(wrapped);
            } catch (RuntimeException e) {
                throw KafkaRefusal.failFast(e, where);
            }
        }

        @Override
        public void close() throws Exception {
            committer.close();
        }
    }

    /**
     * The writer's context, with a mailbox that classifies the failures of what runs in it: the Kafka writer
     * rethrows a failed send there, from the producer's callback, before the next write would see it.
     */
    private record ClassifyingContext(WriterInitContext context, String where) implements WriterInitContext {
        @Override
        public MailboxExecutor getMailboxExecutor() {
            MailboxExecutor mailbox = context.getMailboxExecutor();
            return new MailboxExecutor() {
                @Override
                public void execute(MailOptions options, ThrowingRunnable<? extends Exception> command, String description, Object... args) {
                    mailbox.execute(options, () -> {
                        try {
                            command.run();
                        } catch (Exception e) {
                            throw KafkaRefusal.failFast(e, where);
                        }
                    }, description, args);
                }

                @Override
                public void yield() throws InterruptedException {
                    mailbox.yield();
                }

                @Override
                public boolean tryYield() {
                    return mailbox.tryYield();
                }

                @Override
                public boolean shouldInterrupt() {
                    return mailbox.shouldInterrupt();
                }
            };
        }

        @Override
        public UserCodeClassLoader getUserCodeClassLoader() {
            return context.getUserCodeClassLoader();
        }

        @Override
        public ProcessingTimeService getProcessingTimeService() {
            return context.getProcessingTimeService();
        }

        @Override
        public SinkWriterMetricGroup metricGroup() {
            return context.metricGroup();
        }

        @Override
        public SerializationSchema.InitializationContext asSerializationSchemaInitializationContext() {
            return context.asSerializationSchemaInitializationContext();
        }

        @Override
        public boolean isObjectReuseEnabled() {
            return context.isObjectReuseEnabled();
        }

        @Override
        public <IN> TypeSerializer<IN> createInputSerializer() {
            return context.createInputSerializer();
        }

        @Override
        public <M> Optional<Consumer<M>> metadataConsumer() {
            return context.metadataConsumer();
        }

        @Override
        public OptionalLong getRestoredCheckpointId() {
            return context.getRestoredCheckpointId();
        }

        @Override
        public JobInfo getJobInfo() {
            return context.getJobInfo();
        }

        @Override
        public TaskInfo getTaskInfo() {
            return context.getTaskInfo();
        }
    }

    private record Request(Committer.CommitRequest<KafkaCommittable> request, String where) implements Committer.CommitRequest<KafkaCommittable> {
        @Override
        public KafkaCommittable getCommittable() {
            return request.getCommittable();
        }

        @Override
        public int getNumberOfRetries() {
            return request.getNumberOfRetries();
        }

        @Override
        public void signalFailedWithKnownReason(Throwable t) {
            request.signalFailedWithKnownReason(t);
        }

        @Override
        public void signalFailedWithUnknownReason(Throwable t) {
            request.signalFailedWithUnknownReason(KafkaRefusal.in(t, where).<Throwable>map(org.apache.flink.runtime.execution.SuppressRestartsException::new)
                    .orElse(t));
        }

        @Override
        public void retryLater() {
            request.retryLater();
        }

        @Override
        public void updateAndRetryLater(KafkaCommittable committable) {
            request.updateAndRetryLater(committable);
        }

        @Override
        public void signalAlreadyCommitted() {
            request.signalAlreadyCommitted();
        }
    }
}
