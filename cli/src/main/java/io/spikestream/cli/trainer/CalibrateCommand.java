package io.spikestream.cli.trainer;

import io.spikestream.engine.scoring.Calibration;
import io.spikestream.engine.scoring.LengthNorms;
import io.spikestream.trainer.corpus.LegalCorpus;
import io.spikestream.trainer.corpus.TrainingCorpus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code ./spikestream calibrate}: the quantiles of per-line surprisal of normal text, into the model directory. */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = {"Score normal text line by line (as the job does) and write the quantiles of per-line mean surprisal",
            "to MODEL/calibration.json, which --alert-threshold p99.9 refers to. The text: --log FILE… (read as one",
            "document), the held-out part of the generated log `train --generate-logs N --seed S` used, or the held-out",
            "files of a legal-corpus `train --corpus FILE.jsonl.gz` used."})
public final class CalibrateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true) Path model;
    @Option(names = "--log", arity = "1..*", description = {"Normal text (no anomalies), each file read as one document; also the",
        "background token counts when the training text cannot be rebuilt."}) List<Path> logs;
    @Option(names = "--generate-logs", description = "Rebuild train's held-out text of a generated log of N lines.") Integer generatedLines;
    @Option(names = "--seed", defaultValue = "1", description = "With --generate-logs: train's --seed (default 1).") long seed;
    @Option(names = "--log-hosts", defaultValue = "1", description = "With --generate-logs: train's --log-hosts (default 1).") int logHosts;
    @Option(names = "--validation", defaultValue = "0.05", description = "With --generate-logs: train's --validation (default 0.05).") double validation;
    @Option(names = "--corpus", description = "Rebuild train's held-out files of this corpus from legal-corpus (.jsonl.gz).") Path corpus;
    @Option(names = "--threads", description = "Kernel threads (the result does not depend on it).") Integer threads;
    @Option(names = "--line-norms", description = {"How a line's length enters its score: by-length (a robust z among normal lines of",
        "its length; right for logs, the default with --log and --generate-logs) or per-token (one centre, a spread",
        "shrinking with √tokens; right for wrapped prose, the default with --corpus)."}) String lineNorms;

    @Override
    public Integer call() throws Exception {
        if ((logs != null ? 1 : 0) + (generatedLines != null ? 1 : 0) + (corpus != null ? 1 : 0) != 1) {
            throw new IllegalArgumentException("give the normal text: --log FILE…, --generate-logs N or --corpus FILE.jsonl.gz (one of them)");
        }
        List<List<String>> documents = new ArrayList<>();
        List<String> background; // the text the model was trained on, when it can be rebuilt
        String source;
        if (logs != null) {
            List<String> text = new ArrayList<>();
            for (Path f : logs) {
                List<String> lines = LogFile.lines(f);
                documents.add(lines); // each file a document
                lines.forEach(l -> text.add(l + "\n"));
            }
            background = text;
            source = "lines of " + logs;
        } else if (corpus != null) {
            List<LegalCorpus.Document> docs = LegalCorpus.read(corpus);
            documents = Calibrator.heldOutFiles(docs);
            background = LegalCorpus.split(docs).training();
            source = "held-out files of " + List.of(corpus); // as train says it
        } else {
            TrainingCorpus.Split split = TrainingCorpus.split(TrainingCorpus.generated(seed, generatedLines, logHosts), validation);
            documents = List.of(split.heldOutLines());
            background = split.training();
            source = "held-out " + validation + " of a generated service log of " + generatedLines + " lines (seed " + seed + ", " + logHosts
                    + (logHosts == 1 ? " host)" : " hosts)");
        }
        LengthNorms.Form lineForm = lineNorms == null ? (corpus != null ? LengthNorms.Form.PER_TOKEN : LengthNorms.Form.BY_LENGTH)
                : switch (lineNorms) {
                    case "by-length" -> LengthNorms.Form.BY_LENGTH;
                    case "per-token" -> LengthNorms.Form.PER_TOKEN;
                    default -> throw new IllegalArgumentException("--line-norms is by-length or per-token, got '" + lineNorms + "'");
                };
        Calibration c = Calibrator.calibrate(model, documents, background, source, lineForm, threads);
        System.out.println("calibration of " + model + ": " + c + " -> " + model.resolve(Calibration.FILE) + Calibrator.describe(c));
        return 0;
    }
}
