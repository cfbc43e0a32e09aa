package io.spikestream.engine;

import io.spikestream.engine.generate.Continuation;
import io.spikestream.engine.generate.Generation;
import io.spikestream.engine.generate.Sampler;
import io.spikestream.engine.generate.SamplingParams;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.model.Model;
import io.spikestream.engine.model.ModelFingerprint;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.StateCodec;
import io.spikestream.engine.tokenizer.Encoding;
import io.spikestream.engine.tokenizer.StreamingEncoder;
import io.spikestream.engine.tokenizer.Tokenizer;
import io.spikestream.engine.tokenizer.TokenizerMode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The engine's facade: one model, a kernel thread pool, and the operations on per-document states that the
 * Flink operator and the CLI call. Thread-safe: many documents may be advanced concurrently (each state by
 * one caller at a time).
 *
 * <pre>{@code
 * try (Engine engine = Engine.load(modelDir, EngineOptions.defaults())) {
 *     DocumentState doc = engine.newDocument();
 *     ChunkResult r = engine.advance(doc, tokens);       // surprisal of every token, final hidden vector
 *     byte[] saved = engine.save(doc);                   // exact, constant size
 *     DocumentState again = engine.restore(saved);       // continues bit-identically
 *     Generation answer = engine.generate(doc, prompt, SamplingParams.greedy(64)); // doc is unchanged
 * }
 * }</pre>
 */
public final class Engine implements AutoCloseable {
    private final Model model;
    private final Parallel parallel;
    /** The tokenizer's BPE cache is not thread-safe: one tokenizer per calling thread. */
    private final ThreadLocal<Tokenizer> tokenizers;
    private final boolean hasTokenizer;

    /** An engine without a tokenizer (token ids only). */
    public Engine(Model model, EngineOptions options) {
        this(model, null, options);
    }

    /** An engine whose tokenizer is read from {@code tokenizerDir} (null: token ids only). */
    public Engine(Model model, Path tokenizerDir, EngineOptions options) {
        this.model = model;
        this.parallel = new Parallel(options.threads());
        this.hasTokenizer = tokenizerDir != null;
        if (tokenizerDir != null) {
            Tokenizer first = Tokenizer.load(tokenizerDir);
            if (first.vocabSize() > model.config().vocabSize()) {
                throw new IllegalArgumentException("the tokenizer in " + tokenizerDir + " has " + first.vocabSize()
                        + " ids but the model's vocabulary has only " + model.config().vocabSize());
            }
            this.tokenizers = ThreadLocal.withInitial(() -> Tokenizer.load(tokenizerDir));
            this.tokenizers.set(first);
        } else {
            this.tokenizers = null;
        }
    }

    /** Loads config.json, the safetensors weights and, when present, the tokenizer of a model directory. */
    public static Engine load(Path modelDir, EngineOptions options) {
        Model model = Model.load(modelDir);
        try {
            return new Engine(model, Tokenizer.isPresent(modelDir) ? modelDir : null, options);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The calling thread's tokenizer, if the model directory has one. */
    public Optional<Tokenizer> tokenizer() {
        return hasTokenizer ? Optional.of(tokenizers.get()) : Optional.empty();
    }

    private Tokenizer requireTokenizer() {
        return tokenizer().orElseThrow(() -> new IllegalStateException(
                "this model has no tokenizer files (vocab.json + merges.txt, or tokenizer.json): give token ids"));
    }

    /** Tokens of prompt text, with special tokens recognized (chat templates). */
    public int[] encodeTemplate(String text) {
        return requireTokenizer().encode(text, TokenizerMode.TEMPLATE);
    }

    /** Tokens of document text: special-token strings are plain text. */
    public int[] encodeLiteral(String text) {
        return requireTokenizer().encode(text, TokenizerMode.LITERAL);
    }

    public String decode(int[] tokens) {
        return requireTokenizer().decode(tokens);
    }

    /**
     * Advances a document by a chunk of its text. The streaming tokenizer continues from the tail kept in
     * the state, so any split of a text gives the tokens (and bits) of the whole text; {@code last} ends the
     * text and flushes the tail.
     */
    public TextChunkResult advanceText(DocumentState state, String text, boolean last) {
        String tail = state.tokenizerTail();
        TextTokens t = tokens(tail, text, last);
        ChunkResult result;
        if (t.ids().length == 0) {
            result = new ChunkResult(state.position(), t.ids(), new double[0], state.lastHidden().clone(),
                    model.spiking() ? model.newSpikeStatistics() : null);
        } else {
            result = advance(state, t.ids());
        }
        state.setTokenizerTail(t.tail());
        return new TextChunkResult(result, t.charStart(), t.charEnd());
    }

    /**
     * Tokenizes a chunk of a document's text as {@link #advanceText} does, without running the model: the
     * state's tokenizer tail moves on, its position does not. Several chunks tokenized so and their tokens given to
     * {@link #advance} in one call give the bits of advancing by each chunk in turn.
     */
    public TextTokens tokenizeText(DocumentState state, String text, boolean last) {
        TextTokens t = tokens(state.tokenizerTail(), text, last);
        state.setTokenizerTail(t.tail());
        return t;
    }

    private TextTokens tokens(String tail, String text, boolean last) {
        StreamingEncoder encoder = requireTokenizer().streaming(TokenizerMode.LITERAL, tail);
        Encoding pushed = encoder.push(text);
        int restBase = text.length() - encoder.tail().length(); // the held-back text ends the chunk
        Encoding rest = last ? encoder.finish() : null;
        int n = pushed.size() + (rest == null ? 0 : rest.size());
        int[] ids = new int[n];
        int[] start = new int[n];
        int[] end = new int[n];
        for (int i = 0; i < pushed.size(); i++) {
            ids[i] = pushed.ids()[i];
            start[i] = pushed.start()[i] - tail.length();
            end[i] = pushed.end()[i] - tail.length();
        }
        if (rest != null) {
            for (int i = 0; i < rest.size(); i++) {
                int k = pushed.size() + i;
                ids[k] = rest.ids()[i];
                start[k] = restBase + rest.start()[i];
                end[k] = restBase + rest.end()[i];
            }
        }
        return new TextTokens(ids, start, end, last ? "" : encoder.tail());
    }

    /**
     * Feeds the held-back tokenizer tail of a (forked) state as if its text had ended, so a question sees
     * every character received; the state's tail is then empty.
     */
    public void flushTail(DocumentState state) {
        String tail = state.tokenizerTail();
        if (tail.isEmpty()) {
            return;
        }
        int[] ids = requireTokenizer().streaming(TokenizerMode.LITERAL, tail).finish().ids();
        if (ids.length > 0) {
            advance(state, ids);
        }
        state.setTokenizerTail("");
    }

    public Model model() {
        return model;
    }

    public ModelFingerprint fingerprint() {
        return model.fingerprint();
    }

    public int threads() {
        return parallel.threads();
    }

    public DocumentState newDocument() {
        return model.newState();
    }

    /** Advances a document by a chunk of tokens; the state is unchanged if the input is invalid. */
    public ChunkResult advance(DocumentState state, int[] tokens) {
        long start = state.position();
        Model.Result r = forward(state, tokens, 0, tokens.length, false, parallel);
        return new ChunkResult(start, tokens.clone(), r.logProbs(), r.lastHidden(), r.spikes());
    }

    /** Like {@link #advance}, also returning the n×V logits (row t predicts token t+1). */
    public Model.Result advanceWithLogits(DocumentState state, int[] tokens) {
        return forward(state, tokens, 0, tokens.length, true, parallel);
    }

    /** An independent copy of a document's state. */
    public DocumentState fork(DocumentState state) {
        return state.fork();
    }

    /** Serializes a state (versioned header, model fingerprint, CRC32C). */
    public byte[] save(DocumentState state) {
        return StateCodec.encode(state);
    }

    /** Restores a state saved by an engine running the same model; refuses anything else with a reason. */
    public DocumentState restore(byte[] bytes) {
        return StateCodec.decode(bytes, model.newState());
    }

    /**
     * Generates from a fork of the document after an optional prompt; the document's own state is unchanged.
     * Stops at an end-of-sequence id of the configuration or after {@code params.maxTokens()}.
     */
    public Generation generate(DocumentState document, int[] prompt, SamplingParams params) {
        DocumentState fork = document.fork();
        float[] logits = prime(fork, prompt);
        Sampler sampler = new Sampler(params);
        int[] eos = model.config().eosTokenIds();
        int[] out = new int[params.maxTokens()];
        double[] logProbs = new double[params.maxTokens()];
        int count = 0;
        boolean stopped = false;
        while (count < params.maxTokens()) {
            int next = sampler.next(logits);
            logProbs[count] = logProb(logits, next);
            out[count++] = next;
            if (Arrays.stream(eos).anyMatch(e -> e == next)) {
                stopped = true;
                break;
            }
            if (count < params.maxTokens()) {
                logits = forward(fork, new int[] {next}, 0, 1, true, parallel).logits();
            }
        }
        return new Generation(Arrays.copyOf(out, count), Arrays.copyOf(logProbs, count), stopped);
    }

    /**
     * Log-likelihood of each candidate continuation after the document and an optional prompt (zero-shot
     * labels), computed on forks; probabilities are normalized over the candidates.
     */
    public List<Continuation> scoreContinuations(DocumentState document, int[] prompt, List<int[]> candidates) {
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no candidates to score");
        }
        DocumentState base = document.fork();
        if (prompt.length > 0) {
            forward(base, prompt, 0, prompt.length, false, parallel);
        } else if (base.position() == 0) {
            throw new IllegalArgumentException("an empty document with an empty prompt gives no context to score candidates in");
        }
        double[] totals = new double[candidates.size()];
        for (int c = 0; c < candidates.size(); c++) {
            int[] tokens = candidates.get(c);
            if (tokens.length == 0) {
                throw new IllegalArgumentException("candidate " + c + " is empty");
            }
            double[] lp = forward(base.fork(), tokens, 0, tokens.length, false, parallel).logProbs();
            totals[c] = Arrays.stream(lp).sum();
        }
        double max = Arrays.stream(totals).max().orElseThrow();
        double norm = Arrays.stream(totals).map(t -> Math.exp(t - max)).sum();
        List<Continuation> out = new ArrayList<>();
        for (int c = 0; c < totals.length; c++) {
            out.add(new Continuation(totals[c], candidates.get(c).length, Math.exp(totals[c] - max) / norm));
        }
        return out;
    }

    /** Feeds the prompt into the fork and returns the logits predicting the next token. */
    private float[] prime(DocumentState fork, int[] prompt) {
        if (prompt.length == 0) {
            return model.nextLogits(fork);
        }
        if (prompt.length > 1) {
            forward(fork, prompt, 0, prompt.length - 1, false, parallel);
        }
        return forward(fork, prompt, prompt.length - 1, 1, true, parallel).logits();
    }

    private static double logProb(float[] logits, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += StrictMath.exp(l - max);
        }
        return logits[token] - max - StrictMath.log(sum);
    }

    /** One pass of the model; concurrent passes (other slots' documents) each keep to their own thread. */
    private Model.Result forward(DocumentState state, int[] tokens, int offset, int n, boolean wantLogits, Parallel parallel) {
        try (Parallel.Pass pass = parallel.pass()) {
            return model.forward(state, tokens, offset, n, wantLogits, parallel);
        }
    }

    @Override
    public void close() {
        parallel.close();
        model.close();
    }
}
