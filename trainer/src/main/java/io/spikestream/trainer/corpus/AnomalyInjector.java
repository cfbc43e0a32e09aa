package io.spikestream.trainer.corpus;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A log stream with labelled anomalies: {@link LogGenerator}'s normal events, each replaced with probability
 * {@code rate} by an anomalous one. Each injection is recorded with the line that carries it (line index,
 * kind, the line), so detection quality can be measured line by line. Same seed, same stream.
 */
public final class AnomalyInjector {
    static final String[] UNSEEN_EXCEPTIONS = {
        "java.lang.OutOfMemoryError: Metaspace",
        "javax.net.ssl.SSLHandshakeException: PKIX path building failed: unable to find valid certification path",
        "org.postgresql.util.PSQLException: FATAL: remaining connection slots are reserved for superuser",
        "java.lang.ClassCastException: class com.example.billing.Invoice cannot be cast to class com.example.orders.Order",
        "java.util.ConcurrentModificationException: null"};
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /**
     * One injection: the labelled line, and the lines of the event it replaced ({@code eventStart} inclusive,
     * {@code eventEnd} exclusive; an unseen error is its header, exception line and stack frames).
     */
    public record Injection(int line, Anomaly kind, String detail, int eventStart, int eventEnd) {
    }

    /** The stream: lines, and for each anomalous line its injection. */
    public record LabelledLog(List<String> lines, List<Injection> injections) {
        public boolean[] anomalous() {
            boolean[] a = new boolean[lines.size()];
            for (Injection i : injections) {
                a[i.line()] = true;
            }
            return a;
        }
    }

    private final LogGenerator normal;
    private final SplittableRandom random;
    private final double rate;

    public AnomalyInjector(long seed, double rate) {
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("anomaly rate must be in [0, 1], got " + rate);
        }
        this.normal = new LogGenerator(seed);
        this.random = new SplittableRandom(seed ^ 0x5DEECE66DL);
        this.rate = rate;
    }

    /** At least {@code lines} lines of labelled log. */
    public LabelledLog generate(int lines) {
        List<String> out = new ArrayList<>(lines + 8);
        List<Injection> injections = new ArrayList<>();
        while (out.size() < lines) {
            List<String> event = normal.next();
            if (random.nextDouble() >= rate) {
                out.addAll(event);
                continue;
            }
            Anomaly kind = Anomaly.values()[random.nextInt(Anomaly.values().length)];
            List<String> injected = switch (kind) {
                case UNSEEN_ERROR -> unseenError(normal.service());
                case OUT_OF_ORDER -> List.of(outOfOrder(event.get(0)));
                case CORRUPTED -> List.of(corrupt(event.get(0)));
                case UNUSUAL_VALUE -> List.of(unusual());
            };
            // An unseen error is labelled on the line that carries the new exception: its header ("ERROR ... request
            // N failed") and stack frames are the normal error template, no more anomalous than in any other error.
            int labelled = kind == Anomaly.UNSEEN_ERROR ? 1 : 0;
            injections.add(new Injection(out.size() + labelled, kind, injected.get(labelled), out.size(), out.size() + injected.size()));
            out.addAll(injected);
        }
        return new LabelledLog(out, injections);
    }

    /** An error of {@code svc} whose exception no normal log has; its thread and its frames name the same service, as in any error. */
    private List<String> unseenError(String svc) {
        return normal.error(svc + "-" + random.nextInt(8), UNSEEN_EXCEPTIONS[random.nextInt(UNSEEN_EXCEPTIONS.length)], svc);
    }

    private String outOfOrder(String line) {
        long back = (2 + random.nextInt(70)) * 3_600_000L + random.nextInt(3_600_000);
        String ts = ISO.format(Instant.ofEpochMilli(normal.clockMs() - back));
        return String.format(Locale.ROOT, "%s INFO  [%s-%d] request completed in %d ms", ts, normal.service(), random.nextInt(8),
                normal.latencyMs());
    }

    private String corrupt(String line) {
        int keep = Math.max(1, random.nextInt(Math.max(2, line.length() / 2)));
        StringBuilder sb = new StringBuilder(line.substring(0, keep));
        int garbage = 8 + random.nextInt(24);
        for (int i = 0; i < garbage; i++) {
            int c = random.nextInt(4) == 0 ? 0xFFFD : 0x21 + random.nextInt(0x5E);
            sb.appendCodePoint(random.nextInt(6) == 0 ? 0x00 + random.nextInt(0x1F) + 0x2400 : c);
        }
        return sb.toString();
    }

    private String unusual() {
        String svc = normal.service();
        return switch (random.nextInt(3)) {
            case 0 -> String.format(Locale.ROOT, "%s INFO  [%s-%d] request completed in %d ms", normal.timestamp(), svc,
                    random.nextInt(8), 900_000 + random.nextInt(9_000_000));
            case 1 -> String.format(Locale.ROOT, "%s INFO  [%s-%d] order %d created with %d items", normal.timestamp(), svc,
                    random.nextInt(8), random.nextInt(2000), 40_000 + random.nextInt(900_000));
            default -> String.format(Locale.ROOT, "%s WARN  [%s-%d] connection pool nearly exhausted: %d of %d in use",
                    normal.timestamp(), svc, random.nextInt(8), 50_000 + random.nextInt(10_000), 64);
        };
    }
}
