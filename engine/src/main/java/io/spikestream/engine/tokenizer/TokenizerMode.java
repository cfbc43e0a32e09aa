package io.spikestream.engine.tokenizer;

/** Whether special-token strings in the text are control tokens or ordinary text. */
public enum TokenizerMode {
    /**
     * For documents: special-token strings ({@code <|im_end|>}, {@code <|endoftext|>}, …) are encoded as the
     * ordinary text they spell, so a document cannot inject control tokens. Added tokens that are not
     * special (Qwen2's {@code <tool_call>}, {@code <|fim_prefix|>}, …) stay single tokens, as in the Hugging
     * Face tokenizers library with {@code encode_special_tokens=true}.
     */
    LITERAL,
    /** For prompts and chat templates: every added token is recognized. */
    TEMPLATE
}
