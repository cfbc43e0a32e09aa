package io.spikestream.trainer.corpus;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A seeded stream of realistic service logs in several formats, interleaved as one host's log would be:
 * HTTP access lines (combined log format), application lines with occasional Java stack traces, JSON
 * lines, and kernel-style lines. Timestamps only move forward. Same seed, same lines.
 */
public final class LogGenerator {
    static final String[] SERVICES = {"auth", "gateway", "payments", "orders", "search", "inventory", "billing"};
    static final String[] PATHS = {"/api/v1/login", "/api/v1/orders", "/api/v1/orders/%d", "/api/v1/search?q=%s",
        "/api/v1/cart", "/api/v1/payments/%d/capture", "/healthz", "/static/app.%s.js", "/api/v1/users/%d/profile"};
    static final String[] METHODS = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
    static final String[] WORDS = {"shoes", "laptop", "coffee", "garden", "books", "phone", "desk", "lamp"};
    static final String[] AGENTS = {"Mozilla/5.0 (X11; Linux x86_64)", "curl/8.5.0", "okhttp/4.12.0", "kube-probe/1.30"};
    static final String[] INFO_MESSAGES = {
        "request completed in %d ms", "cache hit ratio %d%%", "connection pool size=%d active=%d",
        "user u%d logged in", "order %d created with %d items", "payment %d authorized", "search returned %d results",
        "scheduled job reconcile-ledger finished in %d ms", "token refreshed for client c%d"};
    static final String[] WARN_MESSAGES = {
        "slow query took %d ms on table orders", "retrying upstream call (attempt %d of 3)",
        "connection pool nearly exhausted: %d of %d in use", "rate limit close for client c%d"};
    static final String[] KNOWN_ERRORS = {
        "java.net.SocketTimeoutException: Read timed out", "java.sql.SQLTransientConnectionException: pool timeout",
        "java.lang.IllegalStateException: order already captured"};
    static final String[] KERNEL = {
        "eth0: link up, 10000 Mbps, full duplex", "EXT4-fs (nvme0n1p2): re-mounted. Quota mode: none.",
        "TCP: request_sock_TCP: Possible SYN flooding on port %d. Sending cookies.",
        "audit: type=1400 audit(%d.%03d:%d): apparmor=\"STATUS\" operation=\"profile_replace\""};
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter CLF = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final SplittableRandom random;
    private long clockMs;
    private double uptime;

    public LogGenerator(long seed) {
        this.random = new SplittableRandom(seed);
        this.clockMs = Instant.parse("2026-11-01T00:00:00Z").toEpochMilli();
        this.uptime = 1000 + random.nextInt(100_000);
    }

    /** The next log event: one line, or a few (an error with its stack trace). */
    public List<String> next() {
        long step = 1 + (long) (-Math.log(1 - random.nextDouble()) * 40); // bursty arrivals, mean ~40 ms
        clockMs += step;
        uptime += step / 1000.0;
        int kind = random.nextInt(100);
        if (kind < 40) {
            return List.of(access());
        } else if (kind < 75) {
            return application();
        } else if (kind < 95) {
            return List.of(json());
        }
        return List.of(kernel());
    }

    /** At least {@code lines} lines (whole events). */
    public List<String> lines(int lines) {
        List<String> out = new ArrayList<>(lines + 8);
        while (out.size() < lines) {
            out.addAll(next());
        }
        return out;
    }

    long clockMs() {
        return clockMs;
    }

    String timestamp() {
        return ISO.format(Instant.ofEpochMilli(clockMs));
    }

    String service() {
        return SERVICES[random.nextInt(SERVICES.length)];
    }

    private String access() {
        String path = PATHS[random.nextInt(PATHS.length)];
        path = path.contains("%d") ? path.formatted(random.nextInt(1_000_000)) : path.contains("%s")
                ? path.formatted(path.startsWith("/static") ? Integer.toHexString(random.nextInt()) : WORDS[random.nextInt(WORDS.length)])
                : path;
        int status = weightedStatus();
        return String.format(Locale.ROOT, "10.%d.%d.%d - - [%s] \"%s %s HTTP/1.1\" %d %d \"-\" \"%s\" rt=%.3f",
                random.nextInt(4), random.nextInt(256), 1 + random.nextInt(254), CLF.format(Instant.ofEpochMilli(clockMs)),
                METHODS[random.nextInt(METHODS.length)], path, status, 200 + random.nextInt(20_000),
                AGENTS[random.nextInt(AGENTS.length)], latencyMs() / 1000.0);
    }

    private int weightedStatus() {
        int r = random.nextInt(100);
        return r < 80 ? 200 : r < 88 ? 204 : r < 93 ? 304 : r < 97 ? 404 : r < 99 ? 401 : 503;
    }

    int latencyMs() {
        return (int) Math.min(5000, Math.exp(3 + random.nextGaussian() * 0.8));
    }

    private List<String> application() {
        String svc = service();
        String thread = svc + "-" + random.nextInt(8);
        int r = random.nextInt(100);
        if (r < 85) {
            return List.of(String.format(Locale.ROOT, "%s INFO  [%s] %s", timestamp(), thread, fill(INFO_MESSAGES)));
        } else if (r < 97) {
            return List.of(String.format(Locale.ROOT, "%s WARN  [%s] %s", timestamp(), thread, fill(WARN_MESSAGES)));
        }
        return error(thread, KNOWN_ERRORS[random.nextInt(KNOWN_ERRORS.length)], svc);
    }

    List<String> error(String thread, String exception, String svc) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "%s ERROR [%s] request %d failed", timestamp(), thread, random.nextInt(1_000_000)));
        lines.add(exception);
        String cls = "com.example." + svc + "." + Character.toUpperCase(svc.charAt(0)) + svc.substring(1);
        lines.add("\tat " + cls + "Service.handle(" + Character.toUpperCase(svc.charAt(0)) + svc.substring(1) + "Service.java:"
                + (40 + random.nextInt(200)) + ")");
        lines.add("\tat " + cls + "Controller.post(" + Character.toUpperCase(svc.charAt(0)) + svc.substring(1) + "Controller.java:"
                + (20 + random.nextInt(80)) + ")");
        lines.add("\tat io.netty.channel.AbstractChannelHandlerContext.invokeChannelRead(AbstractChannelHandlerContext.java:444)");
        return lines;
    }

    private String json() {
        String svc = service();
        return String.format(Locale.ROOT,
                "{\"ts\":\"%s\",\"level\":\"%s\",\"service\":\"%s\",\"trace_id\":\"%016x\",\"msg\":\"%s\",\"latency_ms\":%d,\"status\":%d}",
                timestamp(), random.nextInt(10) == 0 ? "warn" : "info", svc, random.nextLong(), jsonMessage(svc), latencyMs(),
                weightedStatus());
    }

    private String jsonMessage(String svc) {
        return switch (random.nextInt(4)) {
            case 0 -> "handled " + svc + " request";
            case 1 -> "upstream call to " + SERVICES[random.nextInt(SERVICES.length)] + " ok";
            case 2 -> "published event " + svc + ".updated";
            default -> "cache refresh";
        };
    }

    private String kernel() {
        String m = KERNEL[random.nextInt(KERNEL.length)];
        if (m.contains("%03d")) {
            m = m.formatted((long) uptime + 1_700_000_000L, random.nextInt(1000), random.nextInt(100_000));
        } else if (m.contains("%d")) {
            m = m.formatted(1024 + random.nextInt(60_000));
        }
        return String.format(Locale.ROOT, "[%12.6f] %s", uptime, m);
    }

    private String fill(String[] templates) {
        String t = templates[random.nextInt(templates.length)];
        int args = t.split("%d", -1).length - 1;
        Object[] values = new Object[args];
        for (int i = 0; i < args; i++) {
            values[i] = random.nextInt(i == 0 ? 2000 : 100);
        }
        return String.format(Locale.ROOT, t, values);
    }

    SplittableRandom random() {
        return random;
    }
}
