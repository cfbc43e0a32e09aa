package io.spikestream.engine.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Byte-level BPE of one pre-token: start from one symbol per byte, then repeatedly merge the adjacent pair
 * of lowest rank (leftmost on ties), as the Hugging Face library does — with a linked list of symbols and a
 * binary heap of candidate merges, so a word of n bytes costs O(n log n), never a rescan per merge.
 * Results are cached per pre-token (logs repeat their words).
 */
final class Bpe {
    private static final int CACHE_LIMIT = 200_000;

    private final int[] byteIds;
    private final MergeTable merges;
    private final Map<String, int[]> cache = new HashMap<>();

    Bpe(int[] byteIds, MergeTable merges) {
        this.byteIds = byteIds;
        this.merges = merges;
    }

    /** Ids of a pre-token given as its UTF-8 bytes {@code bytes[from, to)}; {@code key} names it in the cache. */
    int[] encode(String key, byte[] bytes, int from, int to) {
        int[] hit = cache.get(key);
        if (hit != null) {
            return hit;
        }
        int[] ids = merge(bytes, from, to);
        if (cache.size() >= CACHE_LIMIT) {
            cache.clear(); // crude but bounded; a long document's vocabulary refills it quickly
        }
        cache.put(key, ids);
        return ids;
    }

    private int[] merge(byte[] bytes, int from, int to) {
        int n = to - from;
        int[] sym = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            sym[i] = byteIds[bytes[from + i] & 0xFF];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        if (n == 1) {
            return sym;
        }
        // heap of candidates: (rank << 32 | position), smallest first; the merged id is looked up again when popped
        long[] heap = new long[Math.max(4, 2 * n)];
        int heapSize = 0;
        for (int i = 0; i + 1 < n; i++) {
            long m = merges.get(sym[i], sym[i + 1]);
            if (m >= 0) {
                heapSize = push(heap, heapSize, ((m >>> 32) << 32) | i);
                if (heapSize == heap.length) {
                    heap = Arrays.copyOf(heap, heap.length * 2);
                }
            }
        }
        boolean[] dead = new boolean[n];
        int count = n;
        while (heapSize > 0) {
            long top = heap[0];
            heapSize = pop(heap, heapSize);
            int pos = (int) top;
            int rank = (int) (top >>> 32);
            if (dead[pos] || next[pos] < 0) {
                continue;
            }
            int right = next[pos];
            long m = merges.get(sym[pos], sym[right]);
            if (m < 0 || (int) (m >>> 32) != rank) {
                continue; // stale: one side has merged since this candidate was queued
            }
            sym[pos] = (int) m;
            dead[right] = true;
            next[pos] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = pos;
            }
            count--;
            if (prev[pos] >= 0) {
                long left = merges.get(sym[prev[pos]], sym[pos]);
                if (left >= 0) {
                    heapSize = push(heap, heapSize, ((left >>> 32) << 32) | prev[pos]);
                }
            }
            if (next[pos] >= 0) {
                long r = merges.get(sym[pos], sym[next[pos]]);
                if (r >= 0) {
                    heapSize = push(heap, heapSize, ((r >>> 32) << 32) | pos);
                }
            }
            if (heapSize + 2 >= heap.length) {
                heap = Arrays.copyOf(heap, heap.length * 2);
            }
        }
        int[] out = new int[count];
        for (int i = 0, k = 0; i >= 0; i = next[i]) {
            out[k++] = sym[i];
        }
        return out;
    }

    private static int push(long[] heap, int size, long value) {
        int i = size;
        heap[i] = value;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= value) {
                break;
            }
            heap[i] = heap[parent];
            heap[parent] = value;
            i = parent;
        }
        return size + 1;
    }

    private static int pop(long[] heap, int size) {
        int last = size - 1;
        long value = heap[last];
        heap[0] = value;
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            if (l >= last) {
                break;
            }
            int c = l + 1 < last && heap[l + 1] < heap[l] ? l + 1 : l;
            if (heap[c] >= value) {
                break;
            }
            heap[i] = heap[c];
            heap[c] = value;
            i = c;
        }
        return last;
    }
}
