package io.spikestream.engine.state;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.testing.ExpectedOutputs;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StateCodecTest {
    private static Engine engine;
    private static int[] tokens;

    @BeforeAll
    static void load() {
        engine = Engine.load(TestData.tinyF32(), new EngineOptions(2));
        tokens = ExpectedOutputs.read(TestData.tinyF32()).tokens();
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static DocumentState stateAfter(int n) {
        DocumentState s = engine.newDocument();
        engine.advance(s, Arrays.copyOf(tokens, n));
        s.setTokenizerTail("unfinished wörd");
        return s;
    }

    @Test
    void roundTripIsExact() {
        DocumentState s = stateAfter(21);
        byte[] bytes = engine.save(s);
        assertThat(bytes).hasSize((int) StateCodec.encodedSize(s));
        DocumentState restored = engine.restore(bytes);
        assertThat(restored.position()).isEqualTo(21);
        assertThat(restored.tokenizerTail()).isEqualTo("unfinished wörd");
        assertThat(engine.save(restored)).isEqualTo(bytes);
    }

    @Test
    void sizeIsConstantOnceTheWindowIsFull() {
        // same position mod the GLA block, both past the window: identical sizes however long the document
        DocumentState a = stateAfter(18);
        DocumentState b = stateAfter(34);
        assertThat(StateCodec.encodedSize(a)).isEqualTo(StateCodec.encodedSize(b));
    }

    @Test
    void anyFlippedByteIsRefused() {
        byte[] bytes = engine.save(stateAfter(10));
        for (int at : new int[] {0, 9, 20, 60, bytes.length / 2, bytes.length - 5, bytes.length - 1}) {
            byte[] corrupt = bytes.clone();
            corrupt[at] ^= 0x10;
            assertThatThrownBy(() -> engine.restore(corrupt)).as("flip at %d", at)
                    .isInstanceOf(StateFormatException.class)
                    .hasMessageMatching("(?s).*(CRC32C mismatch|bad magic).*");
        }
    }

    @Test
    void truncatedBytesAreRefused() {
        byte[] bytes = engine.save(stateAfter(10));
        assertThatThrownBy(() -> engine.restore(Arrays.copyOf(bytes, bytes.length - 9)))
                .isInstanceOf(StateFormatException.class).hasMessageContaining("CRC32C mismatch");
        assertThatThrownBy(() -> engine.restore(Arrays.copyOf(bytes, 20)))
                .isInstanceOf(StateFormatException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> engine.restore(new byte[0]))
                .isInstanceOf(StateFormatException.class).hasMessageContaining("truncated");
    }

    @Test
    void aStateOfAnotherModelIsRefused() {
        byte[] fromBf16;
        try (Engine other = Engine.load(TestData.tinyBf16Sharded(), new EngineOptions(1))) {
            DocumentState s = other.newDocument();
            other.advance(s, new int[] {1, 2, 3});
            fromBf16 = other.save(s);
        }
        assertThatThrownBy(() -> engine.restore(fromBf16))
                .isInstanceOf(StateFormatException.class)
                .hasMessageContaining("belongs to model")
                .hasMessageContaining(engine.fingerprint().shortHex());
    }

    @Test
    void anotherFormatVersionIsRefusedEvenWithAValidCrc() {
        byte[] bytes = engine.save(stateAfter(5));
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putShort(8, (short) 99);
        resealCrc(bytes);
        assertThatThrownBy(() -> engine.restore(bytes))
                .isInstanceOf(StateFormatException.class).hasMessageContaining("version 99");
    }

    @Test
    void aVersionOneStateStillLoadsAndContinuesExactly() {
        DocumentState doc = stateAfter(9);
        byte[] v1 = engine.save(doc);
        ByteBuffer.wrap(v1).order(ByteOrder.LITTLE_ENDIAN).putShort(8, (short) 1);
        resealCrc(v1);
        DocumentState restored = engine.restore(v1);
        int[] more = {3, 1, 4, 1, 5, 9, 2, 6};
        assertThat(engine.advance(restored, more).logProbs()).isEqualTo(engine.advance(doc, more).logProbs());
        // version 3 added two-part layers; a gla_swa state is still written as version 2, byte for byte as before
        assertThat(ByteBuffer.wrap(engine.save(doc)).order(ByteOrder.LITTLE_ENDIAN).getShort(8)).isEqualTo((short) 2);
    }

    @Test
    void invalidUtf8TailWithAValidCrcIsRefused() {
        DocumentState s = stateAfter(5);
        s.setTokenizerTail("ab");
        byte[] bytes = engine.save(s);
        int tailAt = indexOf(bytes, new byte[] {2, 0, 0, 0, 'a', 'b'});
        bytes[tailAt + 4] = (byte) 0xC3; // a lead byte followed by 'b'
        resealCrc(bytes);
        assertThatThrownBy(() -> engine.restore(bytes))
                .isInstanceOf(StateFormatException.class).hasMessageContaining("not valid UTF-8");
    }

    @Test
    void forkIsIndependent() {
        DocumentState doc = stateAfter(12);
        byte[] before = engine.save(doc);
        DocumentState fork = engine.fork(doc);
        engine.advance(fork, new int[] {5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20});
        assertThat(fork.position()).isEqualTo(28);
        assertThat(engine.save(doc)).isEqualTo(before);
    }

    static void resealCrc(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length - 4, (int) crc.getValue());
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("pattern not found");
    }
}
