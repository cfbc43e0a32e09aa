package io.spikestream.cli.trainer;

import io.spikestream.trainer.corpus.LegalCorpus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code ./spikestream legal-corpus}: the deduplicated corpus of licence texts and copyright files a legal model trains on. */
@Command(name = "legal-corpus", mixinStandardHelpOptions = true,
        description = {"Build a corpus of real legal text from licence texts and packages' copyright files, deduplicated by",
            "paragraph, with every N-th file (by name hash) held out and deduplicated first; written as gzip'd JSON lines."})
public final class LegalCorpusCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Corpus file to write (.jsonl.gz).")
    Path out;

    @Option(names = "--from", arity = "1..*", defaultValue = "/usr/share/common-licenses,/usr/share/doc", split = ",",
            description = "Files or directories (default /usr/share/common-licenses,/usr/share/doc: a directory of PACKAGE/copyright files"
                    + " contributes those, any other directory its regular files).")
    List<Path> from;

    @Option(names = "--held-out-every", defaultValue = "10", description = "Hold out one file in N by name hash (default 10).")
    int every;

    @Override
    public Integer call() throws IOException {
        for (Path p : from) {
            if (!Files.exists(p)) {
                throw new IllegalArgumentException("no such file or directory: " + p);
            }
        }
        if (!LegalCorpus.isCorpusFile(out)) {
            throw new IllegalArgumentException("--out must end in .jsonl.gz, got " + out);
        }
        LegalCorpus.Built b = LegalCorpus.build(from, every);
        LegalCorpus.write(out, b.documents());
        long held = b.documents().stream().filter(LegalCorpus.Document::heldOut).count();
        long heldChars = b.documents().stream().filter(LegalCorpus.Document::heldOut).mapToLong(d -> d.text().length()).sum();
        System.err.printf(Locale.ROOT, "legal-corpus: %d files read (%d not UTF-8, skipped), %,d chars in paragraphs; %,d chars kept after"
                        + " paragraph deduplication (%.1f%%) in %d documents, %d held out (%,d chars) -> %s (%,d bytes)%n",
                b.files(), b.unreadable(), b.charsRead(), b.charsKept(), 100.0 * b.charsKept() / Math.max(1, b.charsRead()),
                b.documents().size(), held, heldChars, out, Files.size(out));
        return 0;
    }
}
