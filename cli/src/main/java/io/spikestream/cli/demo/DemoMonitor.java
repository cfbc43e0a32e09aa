package io.spikestream.cli.demo;

import io.spikestream.avro.Enrichment;
import io.spikestream.avro.LabelScore;
import io.spikestream.avro.LineSurprisal;
import io.spikestream.avro.Rejected;
import io.spikestream.avro.SegmentSurprisal;
import io.spikestream.avro.SpikeStatistics;
import io.spikestream.records.AvroCodec;
import io.spikestream.records.AvroDecodeException;
import io.spikestream.connectors.kafka.Topics;
import io.spikestream.connectors.producer.ProducedDocument;
import io.spikestream.operator.job.JobWatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeoutException;

/**
 * Follows the enrichments and rejected topics with {@code read_committed} (so a record shows up when the
 * job's checkpoint commits its transaction), prints each record on one line and keeps the demo's statistics.
 */
final class DemoMonitor implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final PrintWriter out;
    private final Thread thread;
    private final Map<String, Enrichment> ends = new LinkedHashMap<>();
    private final Map<String, Enrichment> answers = new LinkedHashMap<>();
    /** Per document scored by paragraphs (--segment paragraph), its most surprising paragraph so far. */
    private final Map<String, SegmentSurprisal> topParagraphs = new LinkedHashMap<>();
    private final List<Enrichment> chunks = new ArrayList<>();
    private final List<Rejected> rejected = new ArrayList<>();
    private volatile boolean stopped;
    private volatile RuntimeException failure;

    private final Map<String, DemoDocument> documents = new LinkedHashMap<>();
    private int topLinesInjected;
    private int topLinesOfInjectedDocs;

    DemoMonitor(String bootstrap, PrintWriter out, List<DemoDocument> docs) {
        this.out = out;
        docs.forEach(d -> documents.put(d.docId(), d));
        Properties p = new Properties();
        p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.setProperty(ConsumerConfig.CLIENT_ID_CONFIG, "spikestream-demo-" + UUID.randomUUID());
        consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(Topics.ENRICHMENTS, Topics.REJECTED)) {
            consumer.partitionsFor(topic).forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        thread = new Thread(this::follow, "spikestream-demo-monitor");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void follow() {
        try {
            while (!stopped) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    handle(r);
                }
                out.flush();
            }
        } catch (WakeupException e) {
            if (!stopped) {
                failure = e;
            }
        } catch (RuntimeException e) {
            failure = e;
        }
    }

    private void handle(ConsumerRecord<byte[], byte[]> r) {
        try {
            if (r.topic().equals(Topics.REJECTED)) {
                Rejected x = AvroCodec.rejected().decode(r.value());
                synchronized (this) {
                    rejected.add(x);
                }
                out.println("REJECTED " + x.getDocId() + ": " + x.getReason());
                return;
            }
            Enrichment e = AvroCodec.enrichment().decode(r.value());
            synchronized (this) {
                switch (e.getKind()) {
                    case CHUNK -> chunks.add(e);
                    case END -> ends.put(e.getDocId(), e);
                    case ANSWER -> answers.put(e.getQueryId(), e);
                }
                notifyAll();
            }
            out.println(line(e, documents.get(e.getDocId())));
        } catch (AvroDecodeException e) {
            out.println("undecodable record at " + r.topic() + "-" + r.partition() + "@" + r.offset() + ": " + e.getMessage());
        }
    }

    String line(Enrichment e, DemoDocument doc) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "  %-26s ", e.getDocId()));
        switch (e.getKind()) {
            case CHUNK -> {
                sb.append(String.format(Locale.ROOT, "chunk %-3d tokens %6d..%-6d ppl %9.1f  max %5.1f nats  state %,d B (wrote %,d B)",
                        e.getSeq(), e.getTokenStart(), e.getTokenEnd(), orNaN(e.getPerplexity()), orNaN(e.getMaxSurprisal()),
                        e.getStateBytes(), e.getStateBytesWritten()));
                if (e.getSpikes() != null) {
                    SpikeStatistics k = e.getSpikes();
                    sb.append(String.format(Locale.ROOT, "%n      spikes: %,d activations, %.1f%% zero, %.2f spikes/activation (bitwise), "
                                    + "max |s| %d, %.1f%% silent channels, %.3g pJ/token (dense FP16 %.3g)", k.getActivations(),
                            100 * k.getZeroFraction(), k.getMeanBitwise(), k.getMaxAbs(), 100 * k.getSilentChannelFraction(),
                            k.getEnergyPicojoulesPerToken(), k.getDenseEnergyPicojoulesPerToken()));
                }
                SegmentSurprisal para = topSegment(e);
                LineSurprisal top = topLine(e);
                if (para != null) {
                    synchronized (this) {
                        topParagraphs.merge(e.getDocId(), para, (a, b) -> rank(b) > rank(a) ? b : a);
                    }
                    sb.append(String.format(Locale.ROOT, "%n      most surprising paragraph: %s", paragraph(para)));
                } else if (top != null) {
                    // the line with the highest mean surprisal: a random trace id makes one token surprising, not a line
                    sb.append(String.format(Locale.ROOT, "%n      most surprising line %d (%.2f nats/token): %s", top.getLine() + 1,
                            top.getMeanSurprisal(), quote(top.getText())));
                    if (doc != null && !doc.injected().isEmpty()) {
                        synchronized (this) {
                            topLinesOfInjectedDocs++;
                            if (doc.injected().containsKey((int) top.getLine())) {
                                topLinesInjected++;
                                sb.append("  <- injected ").append(doc.injected().get((int) top.getLine()));
                            }
                        }
                    }
                } else if (!e.getSpans().isEmpty()) {
                    sb.append("  most surprising ").append(quote(e.getSpans().get(0).getText()));
                }
            }
            case END -> {
                sb.append(String.format(Locale.ROOT, "END   %d tokens, mean surprisal %.2f nats, state %,d B",
                        e.getTokenEnd(), orNaN(e.getMeanSurprisal()), e.getStateBytes()));
                SegmentSurprisal para;
                synchronized (this) {
                    para = topParagraphs.get(e.getDocId());
                }
                if (para != null) {
                    sb.append(String.format(Locale.ROOT, "%n      the document's most surprising paragraph: %s", paragraph(para)));
                }
            }
            case ANSWER -> {
                sb.append("ANSWER ").append(e.getQueryId()).append(": ");
                if (e.getError() != null) {
                    sb.append("error: ").append(e.getError());
                } else if (e.getAnswer() != null) {
                    sb.append(quote(e.getAnswer()));
                } else if (e.getLabelScores() != null) {
                    for (LabelScore s : e.getLabelScores()) {
                        sb.append(String.format(Locale.ROOT, "%s=%.3f ", quote(s.getLabel()), s.getProbability()));
                    }
                } else if (e.getEmbedding() != null) {
                    sb.append("embedding of ").append(e.getEmbedding().size()).append(" floats");
                }
            }
        }
        return sb.toString();
    }

    /** The chunk's line with the highest mean surprisal (the first of equals), or null. */
    /** The chunk's highest-ranked completed paragraph (by its length-aware score, else its mean), or null. */
    static SegmentSurprisal topSegment(Enrichment e) {
        SegmentSurprisal top = null;
        if (e.getSegments() != null) {
            for (SegmentSurprisal g : e.getSegments()) {
                if (g.getMeanSurprisal() != null && (top == null || rank(g) > rank(top))) {
                    top = g;
                }
            }
        }
        return top;
    }

    private static double rank(SegmentSurprisal g) {
        return g.getScore() != null ? g.getScore() : g.getMeanSurprisal();
    }

    private static String paragraph(SegmentSurprisal g) {
        String first = g.getText().lines().findFirst().orElse("");
        return String.format(Locale.ROOT, "lines %d-%d (%s%.2f nats/token): %s", g.getFirstLine() + 1, g.getLastLine() + 1,
                g.getScore() == null ? "" : String.format(Locale.ROOT, "score %.2f, ", g.getScore()), g.getMeanSurprisal(), quote(first));
    }

    static LineSurprisal topLine(Enrichment e) {
        LineSurprisal top = null;
        if (e.getLines() != null) {
            for (LineSurprisal l : e.getLines()) {
                if (l.getMeanSurprisal() != null && (top == null || l.getMeanSurprisal() > top.getMeanSurprisal())) {
                    top = l;
                }
            }
        }
        return top;
    }

    private static double orNaN(Double d) {
        return d == null ? Double.NaN : d;
    }

    /** A text as the demo prints it: escaped, cut at 90 chars. */
    static String quote(String s) {
        String t = s.replace("\n", "\\n").replace("\t", "\\t");
        return "\"" + (t.length() > 90 ? t.substring(0, 87) + "..." : t) + "\"";
    }

    /** Waits until every document's END record is committed. */
    void awaitEnded(Collection<String> docIds, long deadlineNanos, JobWatch job) throws Exception {
        await(() -> ends.keySet().containsAll(docIds) || rejected.stream().anyMatch(r -> docIds.contains(r.getDocId())),
                deadlineNanos, job, "the END records of " + docIds);
    }

    /** Waits until every query's ANSWER is committed. */
    void awaitAnswers(Collection<String> queryIds, long deadlineNanos, JobWatch job) throws Exception {
        await(() -> answers.keySet().containsAll(queryIds), deadlineNanos, job, "the answers to " + queryIds);
    }

    private synchronized void await(java.util.function.BooleanSupplier done, long deadlineNanos, JobWatch job, String what)
            throws Exception {
        while (!done.getAsBoolean()) {
            if (failure != null) {
                throw new IllegalStateException("reading the output failed: " + failure.getMessage(), failure);
            }
            if (job.ended()) {
                Optional<Throwable> reason = job.failure();
                throw new IllegalStateException("the job " + (reason.isPresent() ? "failed" : "ended") + " before " + what + " arrived"
                        + reason.map(r -> ": " + r.getMessage()).orElse(""), reason.orElse(null));
            }
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("gave up waiting for " + what + " (see --timeout)");
            }
            wait(Math.min(500, Math.max(1, left / 1_000_000)));
        }
    }

    /** The closing summary. */
    synchronized String summary(List<ProducedDocument> produced, Duration streaming, long checkpoints, boolean randomModel) {
        long tokens = ends.values().stream().mapToLong(Enrichment::getTokenEnd).sum();
        long bytes = produced.stream().mapToLong(ProducedDocument::bytes).sum();
        double seconds = streaming.toNanos() / 1e9;
        StringBuilder sb = new StringBuilder("summary\n");
        sb.append(String.format(Locale.ROOT, "  documents        %d (%,d bytes in %d chunks), %d rejected records%n", ends.size(), bytes,
                chunks.size(), rejected.size()));
        sb.append(String.format(Locale.ROOT, "  tokens           %,d in %.1f s = %,.0f tokens/s end to end (publish -> committed output,"
                + " checkpoint waits included)%n", tokens, seconds, tokens / seconds));
        for (Enrichment end : ends.values()) {
            sb.append(String.format(Locale.ROOT, "  state            %-26s %,9d B after %,d tokens%n", end.getDocId(), end.getStateBytes(),
                    end.getTokenEnd()));
        }
        long written = chunks.stream().mapToLong(Enrichment::getStateBytesWritten).sum();
        long maxWritten = chunks.stream().mapToLong(Enrichment::getStateBytesWritten).max().orElse(0);
        sb.append(String.format(Locale.ROOT, "  state writes     %,.0f B per chunk on average, %,d B at most%n",
                chunks.isEmpty() ? 0.0 : (double) written / chunks.size(), maxWritten));
        sb.append(String.format(Locale.ROOT, "  checkpoints      %d taken, every one an exactly-once commit point (newest retained: chk-%d)%n", checkpoints, checkpoints));
        sb.append(String.format(Locale.ROOT, "  answers          %d%n", answers.size()));
        List<SpikeStatistics> spikes = chunks.stream().map(Enrichment::getSpikes).filter(java.util.Objects::nonNull).toList();
        if (!spikes.isEmpty()) {
            long activations = spikes.stream().mapToLong(SpikeStatistics::getActivations).sum();
            double zeros = spikes.stream().mapToDouble(k -> k.getZeroFraction() * k.getActivations()).sum();
            double bits = spikes.stream().mapToDouble(k -> k.getMeanBitwise() * k.getActivations()).sum();
            long maxAbs = spikes.stream().mapToLong(SpikeStatistics::getMaxAbs).max().orElse(0);
            long spikedTokens = chunks.stream().filter(c -> c.getSpikes() != null).mapToLong(c -> c.getTokenEnd() - c.getTokenStart()).sum();
            double energy = chunks.stream().filter(c -> c.getSpikes() != null)
                    .mapToDouble(c -> c.getSpikes().getEnergyPicojoulesPerToken() * (c.getTokenEnd() - c.getTokenStart())).sum();
            double dense = spikes.get(0).getDenseEnergyPicojoulesPerToken();
            sb.append(String.format(Locale.ROOT, "  spikes           %,d activations, %.1f%% zero, %.2f spikes per activation (bitwise), max |s| %d; "
                            + "energy %.3g pJ/token vs %.3g dense FP16 (%.1f%%)%n", activations, 100 * zeros / activations,
                    bits / activations, maxAbs, energy / Math.max(1, spikedTokens), dense,
                    100 * energy / Math.max(1, spikedTokens) / dense));
        }
        for (DemoDocument d : documents.values()) {
            if (!d.injected().isEmpty()) {
                sb.append(String.format(Locale.ROOT, "  anomalies        %s: %d lines injected (%s) in %d lines; %d of its %d chunks' most"
                        + " surprising lines are injected ones (%d chunks hold an injected line)%n", d.docId(), d.injected().size(),
                        new java.util.TreeSet<>(d.injected().values()), d.lineStarts().length, topLinesInjected, topLinesOfInjectedDocs,
                        d.chunksWithInjectedLines()));
            }
        }
        if (randomModel) {
            sb.append("  note             the model has RANDOM weights: scores and answers are not meaningful (use --model DIR)");
        }
        return sb.toString();
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        consumer.wakeup();
        thread.join(5000);
        consumer.close();
    }
}
