package io.spikestream.operator;

import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.util.InstantiationUtil;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exactly-once sink for tests without Kafka: what a writer collects between two checkpoints becomes visible
 * (in {@link #committed}) only when the checkpoint completes, and a batch committed again after a restore is
 * recognized by its id — so the visible output of a run with failures must equal a run without.
 */
final class CommittedSink<T extends Serializable> implements Sink<T>, SupportsCommitter<CommittedSink.Batch<T>> {
    private static final long serialVersionUID = 1L;
    private static final Map<String, List<Object>> COMMITTED = new ConcurrentHashMap<>();
    private static final Set<UUID> SEEN = ConcurrentHashMap.newKeySet();

    private final String name;

    CommittedSink(String name) {
        this.name = name;
        COMMITTED.put(name, java.util.Collections.synchronizedList(new ArrayList<>()));
    }

    /** What was committed under {@code name}, in commit order. */
    @SuppressWarnings("unchecked")
    static <T> List<T> committed(String name) {
        synchronized (COMMITTED.get(name)) {
            return new ArrayList<>((List<T>) (List<?>) COMMITTED.get(name));
        }
    }

    /** The records of one writer between two checkpoints, with an id that makes committing them idempotent. */
    record Batch<T>(UUID id, ArrayList<T> records) implements Serializable {
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) {
        return new Writer<>();
    }

    @Override
    public Committer<Batch<T>> createCommitter(CommitterInitContext context) {
        return new Committer<>() {
            @Override
            public void commit(Collection<CommitRequest<Batch<T>>> requests) {
                for (CommitRequest<Batch<T>> r : requests) {
                    if (SEEN.add(r.getCommittable().id())) {
                        COMMITTED.get(name).addAll(r.getCommittable().records());
                    }
                }
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public SimpleVersionedSerializer<Batch<T>> getCommittableSerializer() {
        return new SimpleVersionedSerializer<>() {
            @Override
            public int getVersion() {
                return 1;
            }

            @Override
            public byte[] serialize(Batch<T> b) throws IOException {
                return InstantiationUtil.serializeObject(b);
            }

            @Override
            public Batch<T> deserialize(int version, byte[] bytes) throws IOException {
                try {
                    return InstantiationUtil.deserializeObject(bytes, Thread.currentThread().getContextClassLoader());
                } catch (ClassNotFoundException e) {
                    throw new IOException(e);
                }
            }
        };
    }

    private static final class Writer<T> implements CommittingSinkWriter<T, Batch<T>> {
        private ArrayList<T> pending = new ArrayList<>();

        @Override
        public void write(T element, Context context) {
            pending.add(element);
        }

        @Override
        public void flush(boolean endOfInput) {
        }

        @Override
        public Collection<Batch<T>> prepareCommit() {
            if (pending.isEmpty()) {
                return List.of();
            }
            Batch<T> b = new Batch<>(UUID.randomUUID(), pending);
            pending = new ArrayList<>();
            return List.of(b);
        }

        @Override
        public void close() {
        }
    }
}
