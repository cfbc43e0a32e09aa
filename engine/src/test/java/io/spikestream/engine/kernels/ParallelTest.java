package io.spikestream.engine.kernels;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The caller-plus-spinning-workers pool: every item exactly once, failures surface, concurrent callers are safe. */
class ParallelTest {

    @Test
    void everyItemRunsExactlyOnceOverManyRegions() {
        try (Parallel p = new Parallel(3)) {
            for (int n : new int[] {1, 2, 7, 64, 1000, 4097}) {
                for (int rep = 0; rep < 200; rep++) {
                    AtomicIntegerArray seen = new AtomicIntegerArray(n);
                    p.forRange(n, (a, b) -> {
                        for (int i = a; i < b; i++) {
                            seen.incrementAndGet(i);
                        }
                    });
                    for (int i = 0; i < n; i++) {
                        assertThat(seen.get(i)).as("n=%d item %d", n, i).isEqualTo(1);
                    }
                }
            }
        }
    }

    @Test
    void aFailureInAPartIsThrownToTheCaller() {
        try (Parallel p = new Parallel(2)) {
            assertThatThrownBy(() -> p.forRange(100, (a, b) -> {
                if (a > 0) {
                    throw new IllegalStateException("part at " + a);
                }
            })).isInstanceOf(IllegalStateException.class).hasMessageContaining("part at");
            // the pool still works afterwards
            AtomicIntegerArray seen = new AtomicIntegerArray(10);
            p.forRange(10, (a, b) -> {
                for (int i = a; i < b; i++) {
                    seen.incrementAndGet(i);
                }
            });
            for (int i = 0; i < 10; i++) {
                assertThat(seen.get(i)).isEqualTo(1);
            }
        }
    }

    @Test
    void concurrentCallersEachGetTheirWholeRange() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try (Parallel p = new Parallel(2)) {
            CountDownLatch start = new CountDownLatch(1);
            Future<?>[] futures = new Future<?>[4];
            for (int c = 0; c < futures.length; c++) {
                futures[c] = callers.submit(() -> {
                    start.await();
                    for (int rep = 0; rep < 300; rep++) {
                        int n = 50 + rep % 37;
                        AtomicIntegerArray seen = new AtomicIntegerArray(n);
                        p.forRange(n, (a, b) -> {
                            for (int i = a; i < b; i++) {
                                seen.incrementAndGet(i);
                            }
                        });
                        for (int i = 0; i < n; i++) {
                            if (seen.get(i) != 1) {
                                throw new AssertionError("item " + i + " ran " + seen.get(i) + " times");
                            }
                        }
                    }
                    return null;
                });
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void whileTwoPassesRunEveryRegionRunsOnItsCallersThread() throws Exception {
        try (Parallel parallel = new Parallel(2)) {
            java.util.Set<Thread> alone = java.util.concurrent.ConcurrentHashMap.newKeySet();
            try (Parallel.Pass one = parallel.pass()) {
                for (int r = 0; r < 200 && alone.size() < 2; r++) {
                    parallel.forRange(64, (a, b) -> {
                        alone.add(Thread.currentThread());
                        java.util.concurrent.locks.LockSupport.parkNanos(100_000); // parts long enough for the worker to take one
                    });
                }
            }
            assertThat(alone).as("one pass: the worker takes parts").hasSize(2);

            java.util.Set<Thread> shared = java.util.concurrent.ConcurrentHashMap.newKeySet();
            java.util.concurrent.CountDownLatch inPass = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
            Thread other = new Thread(() -> {
                try (Parallel.Pass p = parallel.pass()) {
                    inPass.countDown();
                    done.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            other.start();
            inPass.await();
            try (Parallel.Pass two = parallel.pass()) {
                for (int r = 0; r < 200; r++) {
                    parallel.forRange(64, (a, b) -> shared.add(Thread.currentThread()));
                }
            } finally {
                done.countDown();
                other.join();
            }
            assertThat(shared).as("two passes: each keeps to its own thread").containsExactly(Thread.currentThread());
        }
    }
}
