package io.spikestream.operator.process;

import io.spikestream.avro.DocumentChunk;
import io.spikestream.operator.input.Chunk;
import io.spikestream.operator.state.SequenceState;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.TimerService;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Chunks in {@code seq} order: a chunk already applied (or already waiting) is a duplicate; an early one waits
 * in keyed state ({@code early-chunks}) until the gap before it fills, at most {@code maxBufferedChunks} chunks
 * and {@code maxBufferedChars} characters; a gap open longer than {@code gapTimeout} fires a timer. Owns
 * {@link SequenceState}, the waiting chunks and the gap timer; what a full buffer or an expired gap does to the
 * document is the caller's.
 */
final class ChunkSequencer {
    private final MapState<Long, DocumentChunk> early;
    private final int maxBufferedChunks;
    private final long maxBufferedChars;
    private final Duration gapTimeout;

    ChunkSequencer(RuntimeContext context, int maxBufferedChunks, long maxBufferedChars, Duration gapTimeout) {
        // the 0.1 release's name and serializer: its waiting chunks restore as they were
        this.early = context.getMapState(new MapStateDescriptor<>("early-chunks", Types.LONG, TypeInformation.of(DocumentChunk.class)));
        this.maxBufferedChunks = maxBufferedChunks;
        this.maxBufferedChars = maxBufferedChars;
        this.gapTimeout = gapTimeout;
    }

    Duration gapTimeout() {
        return gapTimeout;
    }

    boolean isDuplicate(SequenceState s, Chunk c) throws Exception {
        return c.seq() < s.nextSeq || early.contains(c.seq());
    }

    boolean isEarly(SequenceState s, Chunk c) {
        return c.seq() > s.nextSeq;
    }

    /** Why an early chunk cannot wait (the buffer is full), or null when it now waits. */
    String buffer(SequenceState s, Chunk c, TimerService timers) throws Exception {
        if (s.bufferedChunks + 1 > maxBufferedChunks || s.bufferedChars + c.text().length() > maxBufferedChars) {
            return "seq " + s.nextSeq + " did not arrive before the buffer of early chunks filled (" + maxBufferedChunks + " chunks / "
                    + maxBufferedChars + " chars)";
        }
        early.put(c.seq(), c.toAvro());
        s.bufferedChunks++;
        s.bufferedChars += c.text().length();
        if (s.gapTimerMs == 0) {
            s.gapTimerMs = timers.currentProcessingTime() + gapTimeout.toMillis();
            timers.registerProcessingTimeTimer(s.gapTimerMs);
        }
        return null;
    }

    void applied(SequenceState s, Chunk c) {
        s.nextSeq = c.seq() + 1;
    }

    /** The waiting chunk that comes next, taken out of the buffer; null when the next one has not arrived. */
    Chunk takeNext(SequenceState s) throws Exception {
        if (s.bufferedChunks == 0 || !early.contains(s.nextSeq)) {
            return null;
        }
        DocumentChunk next = early.get(s.nextSeq);
        early.remove(s.nextSeq);
        s.bufferedChunks--;
        s.bufferedChars -= next.getText().length();
        return Chunk.of(next);
    }

    /** After applying what could be applied: no gap left to wait for, no gap timer. */
    void settled(SequenceState s, TimerService timers) {
        if (s.bufferedChunks == 0 && s.gapTimerMs != 0) {
            timers.deleteProcessingTimeTimer(s.gapTimerMs);
            s.gapTimerMs = 0;
        }
    }

    /** Every waiting chunk, in seq order, taken out of the buffer (the document ended or went). */
    List<Chunk> dropWaiting(SequenceState s, TimerService timers) throws Exception {
        List<Chunk> waiting = new ArrayList<>();
        for (Map.Entry<Long, DocumentChunk> e : early.entries()) {
            waiting.add(Chunk.of(e.getValue()));
        }
        early.clear();
        s.bufferedChunks = 0;
        s.bufferedChars = 0;
        DocumentLifetime.deleteTimer(timers, s.gapTimerMs);
        s.gapTimerMs = 0;
        return waiting;
    }

    /** Whether the timer at {@code timestamp} is this document's gap timer expiring with chunks still waiting. */
    boolean gapExpired(SequenceState s, long timestamp) {
        if (timestamp != s.gapTimerMs) {
            return false;
        }
        s.gapTimerMs = 0;
        return s.bufferedChunks > 0;
    }

    /** Forgets the waiting chunks without looking at them. */
    void clear() {
        early.clear();
    }
}
