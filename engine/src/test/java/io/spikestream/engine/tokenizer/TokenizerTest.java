package io.spikestream.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.text.Normalizer;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class TokenizerTest {

    @Test
    void everyFixtureCaseInBothModes() {
        Tokenizer t = FixtureCases.qwen2();
        int checked = 0;
        for (FixtureCases.Case c : FixtureCases.cases()) {
            assertThat(t.encode(c.text(), TokenizerMode.TEMPLATE)).as("template: %s", c.text()).containsExactly(c.ids());
            assertThat(t.encode(c.text(), TokenizerMode.LITERAL)).as("literal: %s", c.text()).containsExactly(c.idsLiteral());
            checked++;
        }
        assertThat(checked).isEqualTo(39);
    }

    @Test
    void longLogMatchesTheReference() {
        int[] ids = FixtureCases.qwen2().encode(FixtureCases.longLog(), TokenizerMode.LITERAL);
        assertThat(ids).containsExactly(FixtureCases.longLogIds());
    }

    @Test
    void decodeInvertsEncodeUpToNfc() {
        Tokenizer t = FixtureCases.qwen2();
        for (FixtureCases.Case c : FixtureCases.cases()) {
            String nfc = Normalizer.normalize(c.text(), Normalizer.Form.NFC);
            assertThat(t.decode(t.encode(c.text(), TokenizerMode.LITERAL))).isEqualTo(nfc);
            assertThat(t.decode(t.encode(c.text(), TokenizerMode.TEMPLATE))).isEqualTo(nfc);
        }
    }

    @Test
    void specialTokensAreTextInLiteralModeAndControlInTemplateMode() {
        Tokenizer t = FixtureCases.qwen2();
        int imEnd = t.tokenId("<|im_end|>").orElseThrow();
        assertThat(imEnd).isEqualTo(151645);
        assertThat(t.isSpecial(imEnd)).isTrue();
        assertThat(t.encode("a<|im_end|>b", TokenizerMode.TEMPLATE)).contains(imEnd);
        assertThat(t.encode("a<|im_end|>b", TokenizerMode.LITERAL)).doesNotContain(imEnd);
        // non-special added tokens stay whole in both modes (as with encode_special_tokens in HF tokenizers)
        int toolCall = t.tokenId("<tool_call>").orElseThrow();
        assertThat(t.encode("x <tool_call> y", TokenizerMode.LITERAL)).contains(toolCall);
    }

    @Test
    void offsetsPointAtTheTextOfEachToken() {
        Tokenizer t = FixtureCases.qwen2();
        for (FixtureCases.Case c : FixtureCases.cases()) {
            String nfc = Normalizer.normalize(c.text(), Normalizer.Form.NFC);
            Encoding e = t.encodeWithOffsets(nfc, TokenizerMode.TEMPLATE);
            assertThat(e.ids()).containsExactly(t.encode(nfc, TokenizerMode.TEMPLATE));
            int covered = 0;
            for (int i = 0; i < e.size(); i++) {
                assertThat(e.start()[i]).isLessThanOrEqualTo(e.end()[i]);
                assertThat(e.start()[i]).as("tokens are in order").isGreaterThanOrEqualTo(i == 0 ? 0 : e.start()[i - 1]);
                String piece = nfc.substring(e.start()[i], e.end()[i]);
                String decoded = t.decode(new int[] {e.ids()[i]});
                if (!decoded.contains("\uFFFD")) {
                    assertThat(piece).as("token %d of %s", i, nfc).isEqualTo(decoded);
                }
                covered = Math.max(covered, e.end()[i]);
            }
            assertThat(covered).isEqualTo(nfc.length());
        }
    }

    @Test
    void incrementalDecodingIsUtf8Safe() {
        Tokenizer t = FixtureCases.qwen2();
        for (FixtureCases.Case c : FixtureCases.cases()) {
            int[] ids = t.encode(c.text(), TokenizerMode.TEMPLATE);
            IncrementalDecoder d = t.decoder(false);
            StringBuilder sb = new StringBuilder();
            for (int id : ids) {
                String piece = d.push(id);
                assertThat(piece).doesNotContain("\uFFFD");
                sb.append(piece);
            }
            sb.append(d.finish());
            assertThat(sb.toString()).isEqualTo(t.decode(ids));
        }
    }

    @Test
    void invalidIdsAreRefused() {
        Tokenizer t = FixtureCases.qwen2();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.decode(new int[] {5, -1}))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("token id -1 is not in the vocabulary");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.decode(new int[] {t.vocabSize()}))
                .hasMessageContaining("token id " + t.vocabSize());
        assertThat(t.decode(new int[] {Arrays.stream(t.encode("é", TokenizerMode.LITERAL)).findFirst().orElseThrow()}))
                .isEqualTo("é");
    }
}
