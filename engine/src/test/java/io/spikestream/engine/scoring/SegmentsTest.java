package io.spikestream.engine.scoring;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Paragraphs: lines between blank lines, Markdown headings on their own, sums of their lines. */
class SegmentsTest {
    @Test
    void paragraphsAreTheLinesBetweenBlankLinesAndHeadingsStandAlone() {
        String[] text = {"Title line", "", "# Heading", "first line of a paragraph", "its second line", "", " \t", "## Sub", "last", "   ### indented heading"};
        List<SegmentScore> lines = new ArrayList<>();
        long position = 0;
        for (int i = 0; i < text.length; i++) {
            boolean blank = text[i].isBlank();
            int tokens = blank ? 1 : 2 + i;
            // a blank line's tokens are not a score (LineScore.isScored); as segments they have none
            lines.add(SegmentScore.of(new LineScore(i, 0, text[i].length(), position, position + tokens, tokens, 1.5 * tokens, 0.5 + i, text[i]),
                    blank ? 99 : 0.25 * tokens));
            position += tokens;
        }
        List<SegmentScore> p = Segments.paragraphs(lines);
        assertThat(p).extracting(SegmentScore::firstLine).containsExactly(0L, 2L, 3L, 7L, 8L, 9L);
        assertThat(p).extracting(SegmentScore::lastLine).containsExactly(0L, 2L, 4L, 7L, 8L, 9L);
        assertThat(p).allMatch(g -> g.kind() == SegmentKind.PARAGRAPH);
        SegmentScore para = p.get(2);
        assertThat(para.text()).isEqualTo("first line of a paragraph\nits second line");
        assertThat(para.scored()).isEqualTo(5 + 6);
        assertThat(para.sum()).isEqualTo(1.5 * 11);
        assertThat(para.background()).isEqualTo(0.25 * 11);
        assertThat(para.max()).as("the larger line max").isEqualTo(4.5);
        assertThat(para.tokenStart()).isEqualTo(lines.get(3).tokenStart());
        assertThat(para.tokenEnd()).isEqualTo(lines.get(4).tokenEnd());
        assertThat(para.mean()).isEqualTo(1.5);
        assertThat(para.contextualMean()).isEqualTo(1.25);
        assertThat(Segments.of(SegmentKind.LINE, lines)).isSameAs(lines);
    }

    @Test
    void headingsAreMarkdownAtxHeadings() {
        assertThat(ParagraphTracker.isHeading("# A")).isTrue();
        assertThat(ParagraphTracker.isHeading("###### six")).isTrue();
        assertThat(ParagraphTracker.isHeading("#")).isTrue();
        assertThat(ParagraphTracker.isHeading("   ## three spaces")).isTrue();
        assertThat(ParagraphTracker.isHeading("####### seven")).isFalse();
        assertThat(ParagraphTracker.isHeading("#hashtag")).isFalse();
        assertThat(ParagraphTracker.isHeading("    # four spaces: code")).isFalse();
        assertThat(ParagraphTracker.isHeading("1. CONFIDENTIALITY")).isFalse();
    }

    @Test
    void aLineAsASegmentHasNoScoreWhenBlank() {
        SegmentScore blank = SegmentScore.of(new LineScore(3, 0, 0, 10, 11, 1, 9.0, 9.0, "   "), 2.0);
        assertThat(blank.isScored()).isFalse();
        assertThat(blank.mean()).isNaN();
        SegmentScore line = SegmentScore.of(new LineScore(3, 0, 0, 10, 14, 4, 8.0, 3.0, "text"), 2.0);
        assertThat(line.mean()).isEqualTo(2.0);
        assertThat(line.contextualMean()).isEqualTo(1.5);
        assertThat(SegmentKind.parse(" Paragraph ")).isEqualTo(SegmentKind.PARAGRAPH);
        assertThat(SegmentKind.LINE.label()).isEqualTo("line");
    }
}
