package io.spikestream.cli.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * numpy's sgemm (OpenBLAS) on the benchmark's shapes, run by {@code scripts/numpy_gemm.py} in a child process
 * during the same benchmark, so the GEMM is reported as a ratio against a baseline measured on the same
 * machine at the same time. Skipped, with the reason, when python3 or numpy is missing.
 */
final class NumpyGemm {
    private NumpyGemm() {
    }

    /** GFLOP/s by shape ("out:in") and "all", or empty when numpy could not run. */
    static Optional<Map<String, Double>> run(int tokens, int threads, List<String> shapes, PrintStream out) {
        Path script = Path.of(System.getProperty("spikestream.home", "."), "scripts", "numpy_gemm.py");
        if (!Files.isRegularFile(script)) {
            out.println("numpy sgemm: skipped (no " + script + ")");
            return Optional.empty();
        }
        List<String> cmd = new ArrayList<>(List.of("python3", script.toString(), Integer.toString(tokens)));
        cmd.addAll(shapes);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
        pb.environment().remove("OPENBLAS_CORETYPE");
        pb.environment().remove("OPENBLAS_L2_SIZE");
        try {
            Process p = pb.start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                out.println("numpy sgemm: skipped (" + script + " failed: " + text.strip().lines().reduce((a, b) -> b).orElse("no output") + ")");
                return Optional.empty();
            }
            Map<String, Double> result = new LinkedHashMap<>();
            for (String line : text.strip().split("\n")) {
                String[] parts = line.trim().split("\\s+");
                if (parts.length == 2) {
                    result.put(parts[0], Double.parseDouble(parts[1]));
                }
            }
            if (!result.containsKey("all")) {
                out.println("numpy sgemm: skipped (unexpected output: " + text.strip() + ")");
                return Optional.empty();
            }
            return Optional.of(result);
        } catch (IOException e) {
            out.println("numpy sgemm: skipped (python3 not runnable: " + e.getMessage() + ")");
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            out.println("numpy sgemm: skipped (interrupted)");
            return Optional.empty();
        } catch (NumberFormatException e) {
            out.println(String.format(Locale.ROOT, "numpy sgemm: skipped (unreadable output: %s)", e.getMessage()));
            return Optional.empty();
        }
    }
}
