package io.spikestream.operator.engine;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One {@link Engine} per model per TaskManager JVM, shared by every operator instance (slot) in it: a 7B
 * model's weights are memory-mapped once, not once per slot. Reference-counted: the engine closes when the
 * last instance releases it.
 */
public final class SharedEngines {
    private static final Map<String, Entry> ENGINES = new HashMap<>();

    private static final class Entry {
        final Engine engine;
        int users;

        Entry(Engine engine) {
            this.engine = engine;
        }
    }

    private SharedEngines() {
    }

    /** The engine of a model directory, loaded on first use. */
    public static synchronized Engine acquire(Path modelDir, int threads) {
        return acquire(key(modelDir, threads), () -> Engine.load(modelDir, new EngineOptions(threads)));
    }

    /** The engine registered under {@code key}, created by {@code loader} on first use. */
    public static synchronized Engine acquire(String key, Supplier<Engine> loader) {
        Entry e = ENGINES.get(key);
        if (e == null) {
            e = new Entry(loader.get());
            ENGINES.put(key, e);
        }
        e.users++;
        return e.engine;
    }

    public static synchronized void release(Engine engine) {
        for (Map.Entry<String, Entry> e : ENGINES.entrySet()) {
            if (e.getValue().engine == engine) {
                if (--e.getValue().users == 0) {
                    ENGINES.remove(e.getKey());
                    engine.close();
                }
                return;
            }
        }
        throw new IllegalStateException("engine released more often than acquired");
    }

    /** How many instances currently share the engine of a key (for tests and metrics). */
    public static synchronized int users(String key) {
        Entry e = ENGINES.get(key);
        return e == null ? 0 : e.users;
    }

    public static String key(Path modelDir, int threads) {
        return modelDir.toAbsolutePath().normalize() + "#" + threads;
    }
}
