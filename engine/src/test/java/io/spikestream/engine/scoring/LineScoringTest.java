package io.spikestream.engine.scoring;

import io.spikestream.engine.ChunkResult;
import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.TextChunkResult;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.testing.TestData;
import io.spikestream.engine.testing.TinyTokenizer;
import io.spikestream.engine.tokenizer.Encoding;
import io.spikestream.engine.tokenizer.TokenizerMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Per-line scores: of chunked text whatever the cuts, of records line by line, against their definitions. */
class LineScoringTest {
    static final String TEXT = """
            2026-11-28T14:57:38.123Z INFO  [main] o.a.f.r.t.TaskExecutor - Starting TaskManager.
            WHEREAS the Licensor wishes to grant, and the Licensee wishes to obtain, a non-exclusive licence;
            Café, naïve, résumé — 中文 and emoji 🚀 stays text.\r
              indented   line\t\twith tabs   \n\n\n{"msg": "x"}
            }]
            end""";
    private static Engine engine;

    @BeforeAll
    static void load() throws Exception {
        Path dir = TinyTokenizer.modelWithTokenizer(TestData.tinyBf16Sharded(), Files.createTempDirectory("tiny-lines"), TEXT.repeat(3));
        engine = Engine.load(dir, new EngineOptions(2));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    /** The lines of a text streamed in the given pieces, through {@link LineTracker}. */
    static List<LineScore> streamed(List<String> pieces) {
        DocumentState doc = engine.newDocument();
        OpenLine open = OpenLine.FIRST;
        List<LineScore> lines = new ArrayList<>();
        for (int i = 0; i < pieces.size(); i++) {
            String tail = doc.tokenizerTail();
            boolean last = i == pieces.size() - 1;
            TextChunkResult r = engine.advanceText(doc, pieces.get(i), last);
            LineTracker.Lines l = LineTracker.track(open, tail, pieces.get(i), r, last);
            // charStart/charEnd are offsets into each piece: compare the rest
            l.closed().forEach(x -> lines.add(new LineScore(x.line(), 0, 0, x.tokenStart(), x.tokenEnd(), x.scored(), x.sum(), x.max(), x.text())));
            open = l.open();
        }
        return lines;
    }

    @Test
    void theLinesOfAStreamDoNotDependOnWhereItIsCut() {
        List<LineScore> whole = streamed(List.of(TEXT));
        assertThat(whole).hasSize((int) TEXT.chars().filter(c -> c == '\n').count() + 1);
        SplittableRandom random = new SplittableRandom(7);
        for (int trial = 0; trial < 25; trial++) {
            List<String> pieces = new ArrayList<>();
            int at = 0;
            while (at < TEXT.length()) {
                int end = Math.min(TEXT.length(), at + 1 + random.nextInt(trial < 5 ? 3 : 40));
                if (end < TEXT.length() && Character.isHighSurrogate(TEXT.charAt(end - 1))) {
                    end++; // keep surrogate pairs whole: a chunk is a Java string of whole characters
                }
                pieces.add(TEXT.substring(at, end));
                at = end;
            }
            assertThat(streamed(pieces)).as("split into %d pieces", pieces.size()).isEqualTo(whole);
        }
    }

    @Test
    void aLineHoldsTheTokensThatBeginInIt() {
        DocumentState doc = engine.newDocument();
        TextChunkResult r = engine.advanceText(doc, TEXT, true);
        List<LineScore> lines = LineTracker.track(OpenLine.FIRST, "", TEXT, r, true).closed();
        // the definition, from the tokenizer's offsets: token k belongs to the line of its first character
        Encoding e = engine.tokenizer().orElseThrow().encodeWithOffsets(TEXT, TokenizerMode.LITERAL);
        assertThat(e.ids()).isEqualTo(r.result().tokens());
        String[] texts = TEXT.split("\n", -1);
        assertThat(lines).hasSize(texts.length);
        double[] sum = new double[texts.length];
        int[] scored = new int[texts.length];
        int[] first = new int[texts.length];
        int[] count = new int[texts.length];
        Arrays.fill(first, -1);
        for (int k = 0; k < e.size(); k++) {
            int line = (int) TEXT.substring(0, e.start()[k]).chars().filter(c -> c == '\n').count();
            if (first[line] < 0) {
                first[line] = k;
            }
            count[line]++;
            double lp = r.result().logProbs()[k];
            if (!Double.isNaN(lp)) {
                sum[line] -= lp;
                scored[line]++;
            }
        }
        int lineStart = 0;
        for (int i = 0; i < texts.length; i++) {
            LineScore l = lines.get(i);
            assertThat(l.line()).isEqualTo(i);
            assertThat(l.text()).isEqualTo(texts[i]);
            assertThat(l.charStart()).isEqualTo(lineStart);
            assertThat(l.charEnd()).isEqualTo(lineStart + texts[i].length());
            assertThat(l.scored()).as("line %d", i).isEqualTo(scored[i]);
            assertThat(l.sum()).as("line %d", i).isEqualTo(sum[i]);
            assertThat(l.tokenEnd() - l.tokenStart()).as("line %d", i).isEqualTo(count[i]);
            if (count[i] > 0) {
                assertThat(l.tokenStart()).isEqualTo(first[i]);
            }
            lineStart += texts[i].length() + 1;
        }
        assertThat(lines.get(0).scored()).as("the document's first token has no surprisal").isEqualTo(count[0] - 1);
        assertThat(Arrays.stream(count).sum()).isEqualTo(e.size());
    }

    @Test
    void recordsAreScoredLineByLineEachLineWithItsNewline() {
        String record = "2026-11-28 INFO [auth-1] ok\n{\"msg\": \"x\"}\r\nlast line without newline";
        DocumentState doc = engine.newDocument();
        LineScorer.Scored s = LineScorer.advance(engine, doc, record, 7);
        assertThat(s.text()).isEqualTo(record + "\n");
        String[] lines = record.split("\n");
        List<Integer> ids = new ArrayList<>();
        int[] boundaries = new int[lines.length + 1];
        for (int i = 0; i < lines.length; i++) {
            for (int id : engine.encodeLiteral(lines[i] + "\n")) {
                ids.add(id);
            }
            boundaries[i + 1] = ids.size();
        }
        assertThat(s.tokens().result().tokens()).isEqualTo(ids.stream().mapToInt(Integer::intValue).toArray());
        assertThat(s.lines()).hasSize(3);
        ChunkResult r = s.tokens().result();
        for (int i = 0; i < lines.length; i++) {
            LineScore l = s.lines().get(i);
            double sum = 0;
            for (int k = boundaries[i]; k < boundaries[i + 1]; k++) {
                sum -= Double.isNaN(r.logProbs()[k]) ? 0 : r.logProbs()[k];
            }
            assertThat(l.line()).isEqualTo(7 + i);
            assertThat(l.text()).isEqualTo(lines[i]);
            assertThat(l.tokenStart()).isEqualTo(boundaries[i]);
            assertThat(l.tokenEnd()).isEqualTo(boundaries[i + 1]);
            assertThat(l.sum()).isEqualTo(sum);
        }
        assertThat(s.lines().get(1).text()).as("a \\r before the newline is the line's").endsWith("\r");
        // an empty record has no lines and leaves the document where it was
        long at = doc.position();
        LineScorer.Scored empty = LineScorer.advance(engine, doc, "", 10);
        assertThat(empty.lines()).isEmpty();
        assertThat(doc.position()).isEqualTo(at);
    }

    @Test
    void aWhitespaceOnlyLineHasNoScoreButItsTokensAdvanceTheDocument() {
        String text = "first line\n\n   \n\t\r\nsecond line\n\n\n \nthird\n";
        DocumentState doc = engine.newDocument();
        LineScorer.Scored s = LineScorer.advance(engine, doc, text, 0);
        List<LineScore> lines = s.lines();
        assertThat(lines).extracting(LineScore::text).containsExactly("first line", "", "   ", "\t\r", "second line", "", "", " ", "third");
        for (LineScore l : lines) {
            boolean blank = l.text().isBlank();
            assertThat(l.isBlank()).as(l.text()).isEqualTo(blank);
            assertThat(l.isScored()).as("line %d", l.line()).isEqualTo(!blank && l.scored() > 0);
            if (blank) {
                assertThat(l.mean()).as("line %d", l.line()).isNaN();
                assertThat(l.tokenEnd()).as("its tokens are applied").isGreaterThan(l.tokenStart());
                assertThat(l.scored()).as("their surprisal is still known").isPositive();
            }
        }
        assertThat(doc.position()).isEqualTo(lines.get(lines.size() - 1).tokenEnd());
        AlertThreshold zero = new AlertThreshold("0", 0);
        assertThat(lines.stream().filter(zero::exceeded).map(LineScore::text)).as("above a threshold of 0 nats")
                .containsExactly("first line", "second line", "third");
        // a line of more blanks than the kept text is treated as text (what was cut is unknown)
        assertThat(new LineScore(0, 0, 2000, 0, 3, 3, 3.0, 1.0, " ".repeat(LineScore.MAX_TEXT_CHARS)).isScored()).isTrue();
    }

    @Test
    void scoringALogInBatchesGivesTheBitsOfOneCall() {
        List<String> log = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            log.add("2026-11-28T14:57:" + (10 + i % 50) + ".123Z INFO  [svc-" + (i % 7) + "] request " + i * 37 + " done in " + i % 13 + " ms");
        }
        List<LineScore> batched = LineScorer.scoreAll(engine, engine.newDocument(), log);
        List<LineScore> once = LineScorer.advance(engine, engine.newDocument(), String.join("\n", log), 0).lines();
        // char offsets are into each call's text; everything else is the same bits
        assertThat(batched).hasSize(300);
        assertThat(batched).usingRecursiveFieldByFieldElementComparatorIgnoringFields("charStart", "charEnd").isEqualTo(once);
        assertThat(batched.get(0).charStart()).isZero();
        assertThat(batched.get(299).line()).isEqualTo(299);
    }
}
