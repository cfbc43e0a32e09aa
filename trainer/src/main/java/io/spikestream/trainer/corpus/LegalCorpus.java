package io.spikestream.trainer.corpus;

import io.spikestream.engine.json.Json;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Real legal text for a document model: licence texts (Debian's /usr/share/common-licenses) and packages'
 * copyright files (/usr/share/doc/PACKAGE/copyright), deduplicated by paragraph (the same GPL paragraphs
 * appear in hundreds of files). Documents are held out by file — a stable hash of the file's name — and the
 * held-out files are deduplicated first, so none of their paragraphs appears in the training text. Stored as
 * gzip'd JSON lines {"source", "heldOut", "text"}, so a model trains from the same corpus on any machine.
 */
public final class LegalCorpus {
    /** One file after deduplication: its paragraphs (blank-line separated) that no earlier file had. */
    public record Document(String source, boolean heldOut, String text) {
        public List<String> paragraphs() {
            return LegalCorpus.paragraphs(text);
        }
    }

    /** What {@link #build} read and kept. */
    public record Built(List<Document> documents, int files, int unreadable, long charsRead, long charsKept) {
    }

    private LegalCorpus() {
    }

    /**
     * The documents of {@code sources}: a file is itself; a directory contributes its SUBDIR/copyright files if
     * it has any (/usr/share/doc), else its regular files (symbolic links skipped: GPL → GPL-3 is one text).
     * Every {@code heldOutEvery}-th file by name hash is held out. Files that are not UTF-8 are skipped (counted).
     */
    public static Built build(List<Path> sources, int heldOutEvery) throws IOException {
        if (heldOutEvery < 2) {
            throw new IllegalArgumentException("--held-out-every must be at least 2, got " + heldOutEvery);
        }
        List<Path> files = new ArrayList<>();
        for (Path source : sources) {
            files.addAll(files(source));
        }
        List<Named> named = new ArrayList<>();
        for (Path f : files) {
            named.add(new Named(name(f), f));
        }
        named.sort(java.util.Comparator.comparing(Named::name));
        List<Named> ordered = new ArrayList<>();
        named.stream().filter(n -> heldOut(n.name, heldOutEvery)).forEach(ordered::add);
        named.stream().filter(n -> !heldOut(n.name, heldOutEvery)).forEach(ordered::add);
        Set<String> seen = new HashSet<>();
        List<Document> docs = new ArrayList<>();
        int unreadable = 0;
        long read = 0, kept = 0;
        for (Named n : ordered) {
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(Files.readAllBytes(n.path))).toString();
            } catch (CharacterCodingException e) {
                unreadable++;
                continue;
            }
            StringBuilder out = new StringBuilder();
            for (String p : paragraphs(text)) {
                read += p.length();
                if (seen.add(String.join(" ", p.trim().split("\\s+")))) {
                    out.append(out.isEmpty() ? "" : "\n\n").append(p);
                    kept += p.length();
                }
            }
            if (!out.isEmpty()) {
                docs.add(new Document(n.name, heldOut(n.name, heldOutEvery), out.append('\n').toString()));
            }
        }
        docs.sort(java.util.Comparator.comparing(Document::source));
        return new Built(docs, files.size(), unreadable, read, kept);
    }

    private record Named(String name, Path path) {
    }

    private static List<Path> files(Path source) throws IOException {
        if (!Files.isDirectory(source)) {
            return List.of(source);
        }
        List<Path> copyrights = new ArrayList<>();
        List<Path> plain = new ArrayList<>();
        try (Stream<Path> s = Files.list(source)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path c = p.resolve("copyright");
                if (Files.isDirectory(p) && Files.isRegularFile(c)) {
                    copyrights.add(c);
                } else if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    plain.add(p);
                }
            }
        }
        return copyrights.isEmpty() ? plain : copyrights;
    }

    /** "common-licenses/GPL-3", "bash/copyright": the file and its directory, as the corpus names it. */
    static String name(Path f) {
        Path parent = f.toAbsolutePath().getParent();
        return (parent == null || parent.getFileName() == null ? "" : parent.getFileName() + "/") + f.getFileName();
    }

    /** Held out when the first four bytes of SHA-256(name), as an unsigned number, are divisible by {@code every}. */
    static boolean heldOut(String name, int every) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            long v = ((h[0] & 0xFFL) << 24) | ((h[1] & 0xFFL) << 16) | ((h[2] & 0xFFL) << 8) | (h[3] & 0xFFL);
            return v % every == 0;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** Paragraphs: runs of lines separated by lines that are empty or only whitespace; trailing newlines dropped. */
    public static List<String> paragraphs(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder p = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            if (line.isBlank()) {
                if (!p.isEmpty()) {
                    out.add(p.toString());
                    p.setLength(0);
                }
            } else {
                p.append(p.isEmpty() ? "" : "\n").append(line);
            }
        }
        if (!p.isEmpty()) {
            out.add(p.toString());
        }
        return out;
    }

    public static void write(Path file, List<Document> docs) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        // a fixed gzip header (no file name, mtime 0): the same corpus gives the same bytes
        try (Writer w = new BufferedWriter(new OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(tmp), 1 << 16),
                StandardCharsets.UTF_8))) {
            for (Document d : docs) {
                StringBuilder line = new StringBuilder("{\"source\": ");
                Json.appendString(line, d.source());
                line.append(", \"heldOut\": ").append(d.heldOut()).append(", \"text\": ");
                Json.appendString(line, d.text());
                w.write(line.append("}\n").toString());
            }
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    public static List<Document> read(Path file) throws IOException {
        List<Document> docs = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(file), 1 << 16),
                StandardCharsets.UTF_8))) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                Map<String, Object> o;
                try {
                    o = Json.parseObject(line);
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException(file + " line " + n + ": not a JSON object: " + e.getMessage(), e);
                }
                if (!(o.get("source") instanceof String source) || !(o.get("heldOut") instanceof Boolean held)
                        || !(o.get("text") instanceof String text)) {
                    throw new IllegalArgumentException(file + " line " + n + ": needs \"source\" (string), \"heldOut\" (boolean) and \"text\" (string)");
                }
                docs.add(new Document(source, held, text));
            }
        }
        return docs;
    }

    /** Whether {@code file} is a corpus of this format (by its name). */
    public static boolean isCorpusFile(Path file) {
        return file.getFileName().toString().endsWith(".jsonl.gz");
    }

    /** Training pieces from the training documents, held-out pieces from the held-out ones (split by file). */
    public static TrainingCorpus.Split split(List<Document> docs) {
        List<String> train = new ArrayList<>();
        List<String> held = new ArrayList<>();
        for (Document d : docs) {
            List<String> lines = List.of(d.text().split("\n", -1));
            List<String> pieces = TrainingCorpus.pieces(lines.subList(0, lines.size() - 1)); // the text ends with \n
            (d.heldOut() ? held : train).addAll(pieces);
        }
        if (train.isEmpty() || held.isEmpty()) {
            throw new IllegalArgumentException("the corpus has no " + (train.isEmpty() ? "training" : "held-out") + " documents");
        }
        return new TrainingCorpus.Split(train, held);
    }
}
