package io.spikestream.trainer.corpus;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LegalCorpusTest {
    @TempDir
    Path tmp;

    @Test
    void paragraphsAreSeparatedByBlankLines() {
        assertThat(LegalCorpus.paragraphs("a\nb\n\n  \nc\n \n\nd\n\n")).containsExactly("a\nb", "c", "d");
        assertThat(LegalCorpus.paragraphs("\n\n")).isEmpty();
    }

    @Test
    void duplicateParagraphsAreKeptOnceHeldOutFilesFirstAndTheCorpusRoundTrips() throws Exception {
        Path licences = Files.createDirectories(tmp.resolve("common-licenses"));
        Path doc = Files.createDirectories(tmp.resolve("doc"));
        String gpl = "This program is free software.\n\nYou should have received a copy.\n";
        Files.writeString(licences.resolve("GPL"), gpl);
        Files.createSymbolicLink(licences.resolve("GPL-link"), licences.resolve("GPL")); // one text, not two
        for (int i = 0; i < 40; i++) {
            Path pkg = Files.createDirectories(doc.resolve("pkg" + i));
            // the GPL paragraphs again (whitespace differs), and one paragraph of its own
            Files.writeString(pkg.resolve("copyright"), "Files: *\nCopyright: " + i + " Someone\n\nThis  program is free\nsoftware.\n\n"
                    + "You should have received a copy.\n");
        }
        Files.write(Files.createDirectories(doc.resolve("pkg-latin1")).resolve("copyright"), new byte[] {(byte) 0xE9, '\n'}); // not UTF-8
        LegalCorpus.Built b = LegalCorpus.build(List.of(licences, doc), 4);
        assertThat(b.files()).isEqualTo(42);
        assertThat(b.unreadable()).isEqualTo(1);
        long gplCopies = b.documents().stream().filter(d -> d.text().contains("You should have received")).count();
        assertThat(gplCopies).as("the GPL paragraph is kept once").isEqualTo(1);
        // 40 packages with their own paragraph, and the GPL file unless a held-out package took both its paragraphs first
        assertThat(b.documents()).hasSizeBetween(40, 41);
        List<LegalCorpus.Document> held = b.documents().stream().filter(LegalCorpus.Document::heldOut).toList();
        assertThat(held).isNotEmpty().hasSizeLessThan(25);
        for (LegalCorpus.Document d : held) {
            assertThat(d.heldOut()).isEqualTo(LegalCorpus.heldOut(d.source(), 4));
        }
        // held-out files are deduplicated first: if one holds the GPL paragraph, no training file does
        // every file holds the GPL paragraph, so it is in a held-out document exactly when some file is held out
        boolean gplHeldOut = held.stream().anyMatch(d -> d.text().contains("You should have received"));
        boolean anyFileHeldOut = LegalCorpus.heldOut("common-licenses/GPL", 4)
                || java.util.stream.IntStream.range(0, 40).anyMatch(i -> LegalCorpus.heldOut("pkg" + i + "/copyright", 4));
        assertThat(anyFileHeldOut).isTrue();
        assertThat(gplHeldOut).isTrue();
        Path file = tmp.resolve("corpus.jsonl.gz");
        LegalCorpus.write(file, b.documents());
        assertThat(LegalCorpus.read(file)).isEqualTo(b.documents());
        byte[] first = Files.readAllBytes(file);
        LegalCorpus.write(file, b.documents());
        assertThat(Files.readAllBytes(file)).as("the same corpus, the same bytes").isEqualTo(first);
        TrainingCorpus.Split split = LegalCorpus.split(b.documents());
        String heldText = String.join("", split.heldOut());
        for (LegalCorpus.Document d : b.documents()) {
            assertThat(heldText.contains(d.text())).as(d.source()).isEqualTo(d.heldOut());
        }
    }

    @Test
    void aMalformedCorpusLineNamesItsLine() throws Exception {
        Path file = tmp.resolve("bad.jsonl.gz");
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(file))) {
            out.write("{\"source\": \"a\", \"heldOut\": false, \"text\": \"x\"}\n{\"source\": \"b\"}\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThatThrownBy(() -> LegalCorpus.read(file)).hasMessageContaining("line 2").hasMessageContaining("\"heldOut\"");
    }
}
