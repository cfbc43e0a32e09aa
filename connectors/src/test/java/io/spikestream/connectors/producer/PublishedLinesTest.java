package io.spikestream.connectors.producer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class PublishedLinesTest {
    @Test
    void manyKeysPrintTheTenWithTheMostLinesAndACountOfTheRest() {
        Map<String, Long> perKey = new TreeMap<>();
        for (int i = 0; i < 1023; i++) {
            perKey.put(String.format("10.0.%03d", i), (long) (i % 50 == 7 ? 100 + i : 3));
        }
        String s = new LineProducer.PublishedLines(5000, 99_000, perKey, List.of()).toString();
        assertThat(s).startsWith("5000 lines, 99000 bytes, 1023 keys {10.0.1007=1107, 10.0.957=1057, ").endsWith("} and 1013 more");
        assertThat(s.length()).isLessThan(250);
        assertThat(new LineProducer.PublishedLines(3, 30, new TreeMap<>(Map.of("b", 1L, "a", 2L)), List.of()).toString())
                .isEqualTo("3 lines, 30 bytes, 2 keys {a=2, b=1}");
    }
}
