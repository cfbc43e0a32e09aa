package io.spikestream.connectors.kafka;

import io.spikestream.avro.Rejected;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Plain-text and JSON records become document chunks, or rejections that say why. */
class PlainRecordDecodeFunctionTest {
    static RawRecord record(String key, String value, long offset) {
        return record(key == null ? null : key.getBytes(StandardCharsets.UTF_8), value == null ? null : value.getBytes(StandardCharsets.UTF_8), offset);
    }

    static RawRecord record(byte[] key, byte[] value, long offset) {
        return new RawRecord("logs", 1, offset, 1_700_000_000_000L, key, value);
    }

    static PlainRecord decode(PlainRecordDecodeFunction f, RawRecord r) throws Exception {
        return f.decode(r);
    }

    @Test
    void textRecordsAreDocumentsOfTheirKeyInOffsetOrder() throws Exception {
        PlainRecordDecodeFunction f = new PlainRecordDecodeFunction(InputSettings.of(InputFormat.TEXT, null, null));
        PlainRecord c = decode(f, record("payments", "2026-11-01 ERROR [payments-1] failed\n\tat x", 42));
        assertThat(c.getDocId()).isEqualTo("payments");
        assertThat(c.getOffset()).isEqualTo(42);
        assertThat(c.getText()).isEqualTo("2026-11-01 ERROR [payments-1] failed\n\tat x");
        assertThat(c).isEqualTo(new PlainRecord("payments", c.getText(), "logs", 1, 42, "payments", c.getTimestampMs()));
        // without a key: one document per partition
        PlainRecord unkeyed = decode(f, record((String) null, "a line", 7));
        assertThat(unkeyed.getDocId()).isEqualTo("logs-1");
        assertThat(unkeyed.getKey()).isNull();
        assertThatThrownBy(() -> decode(f, record("k", null, 8))).hasMessageStartingWith("NO_VALUE");
        assertThatThrownBy(() -> decode(f, record("k".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xC3, 0x28}, 9)))
                .hasMessageStartingWith("NOT_UTF8").hasMessageContaining("the value");
        assertThatThrownBy(() -> decode(f, record(new byte[] {(byte) 0xFF}, "x".getBytes(StandardCharsets.UTF_8), 10)))
                .hasMessageStartingWith("NOT_UTF8").hasMessageContaining("the key");
    }

    @Test
    void jsonRecordsGiveTheirTextFieldAndOptionallyTheirKeyField() throws Exception {
        PlainRecordDecodeFunction f = new PlainRecordDecodeFunction(InputSettings.of(InputFormat.JSON, "message", "service"));
        PlainRecord c = decode(f, record("host-7", "{\"service\": \"orders\", \"message\": \"order 12 created\\nwith 3 items\", \"n\": 1}", 3));
        assertThat(c.getDocId()).as("the key field overrides the record key").isEqualTo("orders");
        assertThat(c.getText()).isEqualTo("order 12 created\nwith 3 items");
        assertThat(c).isEqualTo(new PlainRecord("orders", c.getText(), "logs", 1, 3, "host-7", c.getTimestampMs()));
        assertThat(decode(f, record("h", "{\"service\": 17, \"message\": \"x\"}", 4)).getDocId()).isEqualTo("17");

        PlainRecordDecodeFunction nested = new PlainRecordDecodeFunction(InputSettings.of(InputFormat.JSON, "log.msg", null));
        PlainRecord n = decode(nested, record("host-7", "{\"log\": {\"msg\": \"deep\"}}", 5));
        assertThat(n.getText()).isEqualTo("deep");
        assertThat(n.getDocId()).as("no key field: the record key").isEqualTo("host-7");

        assertThatThrownBy(() -> decode(f, record("h", "order 12 created", 6))).hasMessageStartingWith("NOT_JSON");
        assertThatThrownBy(() -> decode(f, record("h", "[1, 2]", 6))).hasMessageStartingWith("NOT_JSON");
        assertThatThrownBy(() -> decode(f, record("h", "{\"service\": \"a\"}", 6))).hasMessageStartingWith("MISSING_FIELD")
                .hasMessageContaining("'message'");
        assertThatThrownBy(() -> decode(f, record("h", "{\"message\": \"x\"}", 6))).hasMessageStartingWith("MISSING_FIELD")
                .hasMessageContaining("'service'");
        assertThatThrownBy(() -> decode(f, record("h", "{\"service\": \"a\", \"message\": 12}", 6))).hasMessageStartingWith("NOT_TEXT")
                .hasMessageContaining("a number");
        assertThatThrownBy(() -> decode(f, record("h", "{\"service\": \"a\", \"message\": {\"t\": 1}}", 6))).hasMessageStartingWith("NOT_TEXT")
                .hasMessageContaining("an object");
        assertThatThrownBy(() -> decode(f, record("h", "{\"service\": [1], \"message\": \"x\"}", 6))).hasMessageStartingWith("NOT_TEXT")
                .hasMessageContaining("key field");
    }

    @Test
    void unreadableRecordsGoToTheRejectedOutputWithTheirBytesAndReason() throws Exception {
        PlainRecordDecodeFunction f = new PlainRecordDecodeFunction(InputSettings.of(InputFormat.JSON, "message", null));
        try (OneInputStreamOperatorTestHarness<RawRecord, PlainRecord> h = ProcessFunctionTestHarnesses.forProcessFunction(f)) {
            h.processElement(record("svc", "{\"message\": \"ok\"}", 1), 0);
            h.processElement(record("svc", "not json", 2), 0);
            h.processElement(record("svc", "{\"msg\": \"wrong field\"}", 3), 0);
            assertThat(h.extractOutputValues()).extracting(PlainRecord::getText).containsExactly("ok");
            List<Rejected> rejected = h.getSideOutput(DecodeFunction.REJECTED).stream().map(r -> r.getValue()).toList();
            assertThat(rejected).hasSize(2);
            assertThat(rejected.get(0).getReason()).startsWith("NOT_JSON");
            assertThat(rejected.get(0).getOffset()).isEqualTo(2);
            assertThat(rejected.get(0).getDocId()).isEqualTo("svc");
            assertThat(rejected.get(0).getRaw()).isEqualTo(ByteBuffer.wrap("not json".getBytes(StandardCharsets.UTF_8)));
            assertThat(rejected.get(1).getReason()).startsWith("MISSING_FIELD");
            assertThat(rejected.get(1).getSourceTopic()).isEqualTo("logs");
            assertThat(rejected.get(1).getPartition()).isEqualTo(1);
        }
    }

    @Test
    void optionsThatCannotWorkAreRefused() {
        assertThatThrownBy(() -> new PlainRecordDecodeFunction(new InputSettings(InputFormat.JSON, null, null))).hasMessageContaining("--text-field");
        assertThatThrownBy(() -> new PlainRecordDecodeFunction(InputSettings.of(InputFormat.TEXT, null, "service"))).hasMessageContaining("--key-field");
        assertThatThrownBy(() -> InputFormat.parse("xml")).hasMessageContaining("avro, text or json");
        assertThat(InputFormat.parse("JSON")).isEqualTo(InputFormat.JSON);
    }
}
