package io.spikestream.operator.process;

import io.spikestream.avro.DocumentQuery;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.LabelScore;
import io.spikestream.engine.Engine;
import io.spikestream.engine.generate.Continuation;
import io.spikestream.engine.generate.Generation;
import io.spikestream.engine.generate.SamplingParams;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.StateCodec;
import io.spikestream.engine.state.StateFormatException;
import io.spikestream.operator.state.DocumentRecord;
import io.spikestream.operator.state.EngineStates;
import io.spikestream.operator.state.LifetimeState;

import java.util.ArrayList;
import java.util.List;

/**
 * Answers a question about a document from a fork of its state (the document itself does not change): text
 * generated after a prompt, the likelihood of candidate labels, or an embedding. A document that does not exist,
 * ended and was cleared, or was rejected gets an ANSWER with the reason in {@code error}.
 */
final class QueryAnswerer {
    private final Engine engine;
    private final EngineStates states;
    private final OutputRecords records;
    private final int maxAnswerTokens;

    QueryAnswerer(Engine engine, EngineStates states, OutputRecords records, int maxAnswerTokens) {
        this.engine = engine;
        this.states = states;
        this.records = records;
        this.maxAnswerTokens = maxAnswerTokens;
    }

    /** The reason {@code doc} cannot be asked, or null when it can. */
    String unanswerable(DocumentRecord doc, String docId) throws Exception {
        if (doc == null || (doc.lifetime.status == LifetimeState.ACTIVE && doc.progress.tokens == 0 && !states.exists())) {
            return "no document " + docId + " (not started yet, or expired)";
        }
        if (doc.lifetime.status == LifetimeState.ENDED && !states.exists()) {
            return "document " + docId + " ended and its state was cleared (grace period over)";
        }
        if (doc.lifetime.status == LifetimeState.REJECTED) {
            return "document " + docId + " was rejected: " + doc.lifetime.reason;
        }
        return null;
    }

    Enrichment refusal(DocumentQuery q, String docId, String reason, long now) {
        return records.answer(docId, q.getQueryId()).setError(reason).setProcessedAtMs(now).build();
    }

    Enrichment answer(DocumentQuery q, DocumentRecord doc, String docId, long now) throws Exception {
        Enrichment.Builder answer = records.answer(docId, q.getQueryId());
        try {
            DocumentState state = states.load(docId, doc.progress.tokens);
            DocumentState fork = engine.fork(state);
            engine.flushTail(fork); // the question sees all text received, including a held-back last word
            answer.setTokenEnd(fork.position()).setStateBytes(StateCodec.encodedSize(state));
            ask(q, fork, answer);
        } catch (IllegalArgumentException | IllegalStateException | StateFormatException e) {
            answer.setError(e.getMessage());
        }
        return answer.setProcessedAtMs(now).build();
    }

    private void ask(DocumentQuery q, DocumentState fork, Enrichment.Builder answer) {
        String prompt = q.getPrompt() == null ? "" : q.getPrompt();
        int[] promptTokens = engine.encodeTemplate(prompt);
        switch (q.getKind()) {
            case GENERATE -> {
                int max = Math.min(Math.max(1, q.getMaxTokens()), maxAnswerTokens);
                double topP = q.getTopP() <= 0 ? 1.0 : q.getTopP();
                Generation g = engine.generate(fork, promptTokens, new SamplingParams(max, q.getTemperature(), topP, q.getSeed()));
                answer.setAnswer(engine.decode(g.tokens()));
            }
            case SCORE_LABELS -> {
                if (q.getLabels().isEmpty()) {
                    throw new IllegalArgumentException("SCORE_LABELS needs at least one label");
                }
                List<int[]> candidates = new ArrayList<>();
                for (String label : q.getLabels()) {
                    int[] ids = engine.encodeLiteral(label);
                    if (ids.length == 0) {
                        throw new IllegalArgumentException("label \"" + label + "\" is empty");
                    }
                    candidates.add(ids);
                }
                List<Continuation> scores = engine.scoreContinuations(fork, promptTokens, candidates);
                List<LabelScore> out = new ArrayList<>();
                for (int i = 0; i < scores.size(); i++) {
                    out.add(LabelScore.newBuilder().setLabel(q.getLabels().get(i))
                            .setLogLikelihood(scores.get(i).logLikelihood()).setProbability(scores.get(i).probability()).build());
                }
                answer.setLabelScores(out);
            }
            case EMBED -> {
                if (promptTokens.length > 0) {
                    engine.advance(fork, promptTokens);
                }
                if (fork.position() == 0) {
                    throw new IllegalArgumentException("the document has no tokens yet to embed");
                }
                answer.setEmbedding(OutputRecords.floats(fork.lastHidden()));
            }
        }
    }
}
