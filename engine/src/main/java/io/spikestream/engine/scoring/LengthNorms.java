package io.spikestream.engine.scoring;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What normal segments of one kind score, by length: per bucket of token counts (1, 2–3, 4–7, …, 256 and more)
 * the median and the robust scale (1.4826 × the median absolute deviation) of a per-token statistic over the
 * calibration text. A segment's score is its statistic's distance from its bucket's median in scales — a robust
 * z-score — so a 2-token heading is compared with other 2-token segments, not with 60-token clauses: a mean over
 * few tokens swings widely, and would otherwise fill the top of every ranking. The quantiles of that score over
 * the calibration segments give the alert thresholds ({@code p99.9}).
 *
 * <p>That is the {@link Form#BY_LENGTH} form, right where a segment's length says what it is (a log line's
 * template). Where lengths are accidents of wrapping (the lines of prose: a one-word tail of a sentence is not a
 * kind of line) the {@link Form#PER_TOKEN} form fits one centre and a spread that shrinks with the square root of
 * the token count: a short tail's high mean is weak evidence, a 30-token line's is strong.
 *
 * <p>Paragraphs use {@link Form#WEIGHED}: the robust z-score of their length bucket, weighed by
 * √(n / (n + n₀)) with n₀ the calibration paragraphs' median token count. A bucket (16–31 tokens, 32–63, …) is
 * wide, and a z-score from a few tokens' mean is weaker evidence than the same z from a whole clause's; the weight
 * lets evidence grow with length but saturate (a paragraph of median length counts 1/√2, a 5-token heading about
 * a quarter), where the plain √n of {@link Form#PER_TOKEN} would let every long paragraph outrank every short one.
 *
 * @param kind      the segments it describes
 * @param statistic what is normalized
 * @param form      how the length enters: buckets of lengths (weighed or not), or one centre with a spread per √token
 * @param segments  how many calibration segments it was fitted on
 * @param buckets   length ranges covering every length, shortest first: the base buckets, neighbours merged until
 *                  each range holds at least {@value #MIN_BUCKET} calibration segments (a thin bucket's median and
 *                  scale would be noise)
 * @param quantiles the score's quantiles over the calibration segments ({@code p50} … {@code p99.99})
 * @param weightTokens n₀ of {@link Form#WEIGHED}: the calibration segments' median token count (0 for the other forms)
 */
public record LengthNorms(SegmentKind kind, Statistic statistic, Form form, long segments, List<Bucket> buckets, Map<String, Double> quantiles,
                          double weightTokens) implements Serializable {
    /** Fewest segments a bucket's median and scale are taken from. */
    public static final int MIN_BUCKET = 20;
    /** Smallest scale, nats/token: a bucket of near-identical segments must not turn tiny differences into huge scores. */
    public static final double MIN_SCALE = 0.01;
    /** Buckets: [1,1], [2,3], …, [128,255], [256, ∞). */
    static final int BUCKETS = 9;

    /** The per-token statistic normalized. */
    public enum Statistic {
        /** Mean surprisal, −ln p(token | document). */
        SURPRISAL("surprisal"),
        /** Mean contextual surprisal (surprisal minus the background model's), see {@link SegmentScore#contextualMean()}. */
        CONTEXTUAL("contextual surprisal");

        private final String label;

        Statistic(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public double of(SegmentScore s) {
            return this == SURPRISAL ? s.mean() : s.contextualMean();
        }

        public static Statistic parse(String label) {
            return Arrays.stream(values()).filter(v -> v.label.equals(label)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown statistic '" + label + "' (surprisal or contextual surprisal)"));
        }
    }

    /** How a segment's token count enters its score. */
    public enum Form {
        /** A robust z-score within the segment's length bucket. */
        BY_LENGTH("by length"),
        /**
         * One bucket for every length: (statistic − centre) × √tokens / spread, the centre the token-weighted
         * median of the calibration segments and the spread 1.4826 × the median of |statistic − centre| × √tokens.
         * Fitted on whole segments, so the spread includes how much neighbouring tokens move together.
         */
        PER_TOKEN("per token"),
        /** {@link #BY_LENGTH}'s z-score × √(tokens / (tokens + n₀)), n₀ the calibration segments' median token count. */
        WEIGHED("by length, weighed");

        private final String label;

        Form(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public static Form parse(String label) {
            return Arrays.stream(values()).filter(v -> v.label.equals(label)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown form '" + label + "' (by length or per token)"));
        }
    }

    /** One length range: segments of {@code minTokens}..{@code maxTokens} scored tokens ({@code maxTokens} −1: no limit). */
    public record Bucket(int minTokens, int maxTokens, long count, double median, double scale) implements Serializable {
        public Bucket {
            if (!(Double.isFinite(median) && Double.isFinite(scale) && scale > 0)) {
                throw new IllegalArgumentException("a length bucket needs a finite median and a positive scale, got " + median + ", " + scale);
            }
        }
    }

    public LengthNorms {
        if (buckets.isEmpty()) {
            throw new IllegalArgumentException("length norms need at least one bucket");
        }
        int next = 1; // the ranges must tile 1..∞ along base-bucket edges
        for (int i = 0; i < buckets.size(); i++) {
            Bucket b = buckets.get(i);
            boolean last = i == buckets.size() - 1;
            if (b.minTokens() != next || (last ? b.maxTokens() != -1 : b.maxTokens() < b.minTokens() || Integer.bitCount(b.maxTokens() + 1) != 1
                    || b.maxTokens() + 1 > bucketMin(BUCKETS - 1))) {
                throw new IllegalArgumentException("length ranges must run from 1 token to no limit along powers of two; got "
                        + b.minTokens() + ".." + (b.maxTokens() < 0 ? "" : b.maxTokens()) + " where " + next + ".." + (last ? "" : "2^k-1") + " belongs");
            }
            next = b.maxTokens() + 1;
        }
        if (form == Form.WEIGHED ? !(Double.isFinite(weightTokens) && weightTokens >= 1) : weightTokens != 0) {
            throw new IllegalArgumentException(form == Form.WEIGHED ? "weighed norms need a median token count of at least 1, got " + weightTokens
                    : "only weighed norms have a median token count, got " + weightTokens + " for norms " + form.label());
        }
        if (form == Form.PER_TOKEN && buckets.size() != 1) {
            throw new IllegalArgumentException("per-token norms have one range, 1 token to no limit; got " + buckets.size());
        }
        buckets = List.copyOf(buckets);
        quantiles = Collections.unmodifiableMap(new LinkedHashMap<>(quantiles));
    }

    /** The bucket index of a segment of {@code tokens} scored tokens (≥ 1): floor(log2 tokens), at most 8. */
    static int bucketOf(int tokens) {
        return Math.min(BUCKETS - 1, 31 - Integer.numberOfLeadingZeros(Math.max(1, tokens)));
    }

    static int bucketMin(int b) {
        return 1 << b;
    }

    static int bucketMax(int b) {
        return b == BUCKETS - 1 ? -1 : (1 << (b + 1)) - 1;
    }

    /** Fits {@link Form#BY_LENGTH} norms of {@code kind} on the scored segments of normal text. */
    public static LengthNorms fit(SegmentKind kind, Statistic statistic, List<SegmentScore> calibration) {
        return fit(kind, statistic, Form.BY_LENGTH, calibration);
    }

    /** Fits the norms of {@code kind} on the scored segments of normal text. */
    public static LengthNorms fit(SegmentKind kind, Statistic statistic, Form form, List<SegmentScore> calibration) {
        List<List<Double>> by = new ArrayList<>();
        for (int b = 0; b < BUCKETS; b++) {
            by.add(new ArrayList<>());
        }
        List<SegmentScore> used = new ArrayList<>();
        for (SegmentScore s : calibration) {
            double v = s.isScored() ? statistic.of(s) : Double.NaN;
            if (Double.isFinite(v)) {
                by.get(bucketOf(s.scored())).add(v);
                used.add(s);
            }
        }
        if (used.size() < MIN_BUCKET) {
            throw new IllegalArgumentException("too little normal text to calibrate " + kind.label() + "s: " + used.size()
                    + " scored segments, at least " + MIN_BUCKET + " needed");
        }
        // base buckets merged, shortest first, until a range holds MIN_BUCKET segments; a thin remainder joins the last range
        List<int[]> ranges = new ArrayList<>();
        int from = 0;
        int count = 0;
        for (int b = 0; b < BUCKETS; b++) {
            count += by.get(b).size();
            if (count >= MIN_BUCKET) {
                ranges.add(new int[]{from, b});
                from = b + 1;
                count = 0;
            }
        }
        if (from < BUCKETS) {
            ranges.get(ranges.size() - 1)[1] = BUCKETS - 1;
        }
        List<Bucket> buckets = new ArrayList<>();
        if (form == Form.PER_TOKEN) {
            buckets.add(perToken(statistic, used));
        } else {
            for (int[] r : ranges) {
                List<Double> values = new ArrayList<>();
                for (int b = r[0]; b <= r[1]; b++) {
                    values.addAll(by.get(b));
                }
                buckets.add(bucket(r[0], r[1], values));
            }
        }
        double weightTokens = 0;
        if (form == Form.WEIGHED) {
            weightTokens = Math.max(1, Calibration.quantile(used.stream().mapToDouble(SegmentScore::scored).sorted().toArray(), 0.5));
        }
        LengthNorms unquantiled = new LengthNorms(kind, statistic, form, used.size(), buckets, Map.of(), weightTokens);
        double[] scores = used.stream().mapToDouble(unquantiled::score).sorted().toArray();
        Map<String, Double> q = new LinkedHashMap<>();
        for (String level : Calibration.LEVELS) {
            q.put("p" + level, Calibration.quantile(scores, Double.parseDouble(level) / 100));
        }
        return new LengthNorms(kind, statistic, form, used.size(), buckets, q, weightTokens);
    }

    /** The one range of {@link Form#PER_TOKEN}: the token-weighted median as its median, the spread per √token as its scale. */
    private static Bucket perToken(Statistic statistic, List<SegmentScore> used) {
        double[][] vn = used.stream().map(s -> new double[]{statistic.of(s), s.scored()}).sorted((a, b) -> Double.compare(a[0], b[0]))
                .toArray(double[][]::new);
        double half = Arrays.stream(vn).mapToDouble(a -> a[1]).sum() / 2;
        double centre = vn[vn.length - 1][0];
        double acc = 0;
        for (double[] a : vn) {
            acc += a[1];
            if (acc >= half) {
                centre = a[0];
                break;
            }
        }
        double c = centre;
        double[] dev = Arrays.stream(vn).mapToDouble(a -> Math.abs(a[0] - c) * Math.sqrt(a[1])).sorted().toArray();
        return new Bucket(1, -1, vn.length, centre, Math.max(MIN_SCALE, 1.4826 * Calibration.quantile(dev, 0.5)));
    }

    private static Bucket bucket(int first, int last, List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double median = Calibration.quantile(v, 0.5);
        double[] dev = Arrays.stream(v).map(x -> Math.abs(x - median)).sorted().toArray();
        return new Bucket(bucketMin(first), bucketMax(last), v.length, median, Math.max(MIN_SCALE, 1.4826 * Calibration.quantile(dev, 0.5)));
    }

    /** The range a segment of {@code tokens} scored tokens is compared with. */
    public Bucket bucketFor(int tokens) {
        for (Bucket b : buckets) {
            if (b.maxTokens() < 0 || tokens <= b.maxTokens()) {
                return b;
            }
        }
        throw new AssertionError("the ranges end with no limit");
    }

    /** The segment's robust z-score (within its length bucket, or per √token); NaN for a segment without a score (or without the statistic). */
    public double score(SegmentScore s) {
        if (!s.isScored()) {
            return Double.NaN;
        }
        Bucket b = bucketFor(s.scored());
        double z = (statistic.of(s) - b.median()) / b.scale();
        return switch (form) {
            case BY_LENGTH -> z;
            case PER_TOKEN -> z * Math.sqrt(s.scored());
            case WEIGHED -> z * Math.sqrt(s.scored() / (s.scored() + weightTokens));
        };
    }

    /** A quantile of the score by name ({@code p99.9}); an unknown name lists the known ones. */
    public double quantile(String name) {
        Double v = quantiles.get(name);
        if (v == null) {
            throw new IllegalArgumentException("the " + kind.label() + " calibration has no quantile " + name + "; it has " + quantiles.keySet());
        }
        return v;
    }

    @Override
    public String toString() {
        if (form == Form.PER_TOKEN) {
            Bucket b = buckets.get(0);
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%ss per token (%s, %d segments): centre %.3f, spread %.3f per √token;",
                    kind.label(), statistic.label(), segments, b.median(), b.scale()));
            quantiles.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.2f", k, v)));
            return sb.toString();
        }
        StringBuilder sb = new StringBuilder(kind.label() + "s " + form.label() + " (" + statistic.label() + ", " + segments + " segments"
                + (form == Form.WEIGHED ? String.format(Locale.ROOT, ", weighed by √(tokens / (tokens + %s))", Double.toString(weightTokens)) : "")
                + "):");
        for (Bucket b : buckets) {
            sb.append(String.format(Locale.ROOT, " %d%s tokens %.3f±%.3f (%d);", b.minTokens(), b.maxTokens() < 0 ? "+" : b.maxTokens() == b.minTokens() ? ""
                    : "-" + b.maxTokens(), b.median(), b.scale(), b.count()));
        }
        quantiles.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.2f", k, v)));
        return sb.toString();
    }
}
