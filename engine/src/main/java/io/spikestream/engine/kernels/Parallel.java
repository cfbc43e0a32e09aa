package io.spikestream.engine.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Splits independent work items over a fixed number of threads: the caller and {@code threads − 1} workers.
 *
 * <p>Every kernel computes each output element entirely inside one work item, with an operation order that
 * does not depend on the split, so results are bit-identical for any thread count.
 *
 * <p>A small model runs thousands of parallel regions per second, each of tens of microseconds, so the hand-off
 * must cost about a microsecond: workers spin on the region counter for a while before they park (a
 * fork/join pool's wake-ups cost as much as the work), and the caller takes parts too. One region runs at a
 * time; a caller that finds the workers busy (another document on another thread) runs its range itself.
 *
 * <p>Callers that share it (the slots of a TaskManager, each on its own document) declare their passes
 * ({@link #pass()}): while more than one pass runs, every region runs on its caller's thread. Each caller then
 * has a core, and no region waits for a worker that the scheduler has descheduled in favour of another
 * caller (one such wait costs milliseconds; a region takes microseconds).
 */
public final class Parallel implements AutoCloseable {
    /** Work on items [start, end). */
    @FunctionalInterface
    public interface Range {
        void run(int start, int end);
    }

    /** Runs every range on the calling thread: for the kernels of one part of an enclosing region. */
    public static final Parallel SERIAL = new Parallel(1);

    /** How long an idle worker spins before it parks. */
    private static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Thread[] workers;
    private final ReentrantLock region = new ReentrantLock();
    /** The current region; a new object for each, so a late worker only ever sees a finished one's counters. */
    private volatile Job job;
    private volatile boolean closed;
    /** Passes running now ({@link #pass()}). */
    private final AtomicInteger passes = new AtomicInteger();

    /** One parallel region: its body, its split and its counters. */
    private static final class Job {
        final Range body;
        final int items;
        final int parts;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger pending;
        volatile Throwable failure;

        Job(Range body, int items, int parts) {
            this.body = body;
            this.items = items;
            this.parts = parts;
            this.pending = new AtomicInteger(parts);
        }

        /** Takes parts until none is left. */
        void run() {
            for (int p = next.getAndIncrement(); p < parts; p = next.getAndIncrement()) {
                try {
                    body.run((int) ((long) items * p / parts), (int) ((long) items * (p + 1) / parts));
                } catch (Throwable t) {
                    if (failure == null) {
                        failure = t;
                    }
                } finally {
                    pending.decrementAndGet();
                }
            }
        }
    }

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            Thread t = new Thread(this::work, "spikestream-kernel-" + i);
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code body} over [0, n) in contiguous parts, a few per thread for balance. */
    public void forRange(int n, Range body) {
        forRange(n, 1, body);
    }

    /** Like {@link #forRange(int, Range)}, with parts no smaller than {@code grain} items. */
    public void forRange(int n, int grain, Range body) {
        if (n <= 0) {
            return;
        }
        int count = Math.min(threads * 4, Math.max(1, n / Math.max(1, grain)));
        if (workers.length == 0 || count == 1 || closed || passes.get() > 1 || !region.tryLock()) {
            body.run(0, n);
            return;
        }
        try {
            Job j = new Job(body, n, count);
            job = j;
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            j.run();
            while (j.pending.get() > 0) {
                Thread.onSpinWait();
            }
            Throwable f = j.failure;
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f instanceof Error e) {
                throw e;
            }
        } finally {
            region.unlock();
        }
    }

    /** One caller's pass over a document, from {@link #pass()} until closed. */
    public interface Pass extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Declares a pass of the calling thread until the returned handle is closed: while another caller's pass
     * runs too, regions run on their callers' threads.
     */
    public Pass pass() {
        passes.incrementAndGet();
        return passes::decrementAndGet;
    }

    private void work() {
        Job seen = null;
        while (!closed) {
            Job j = job;
            if (j != seen) {
                seen = j;
                if (j != null) {
                    j.run();
                }
                continue;
            }
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (job == seen && !closed && System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
            }
            if (job == seen && !closed) {
                LockSupport.parkNanos(this, 10_000_000L);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        job = null;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
