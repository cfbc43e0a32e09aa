package io.spikestream.operator.process;

import io.spikestream.avro.Alert;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.Rejected;
import org.apache.flink.streaming.api.TimerService;

/** What the parts see of one call of the keyed function: the document, the clock and timers, the three outputs. */
public interface DocumentContext {
    String docId();

    TimerService timers();

    default long now() {
        return timers().currentProcessingTime();
    }

    void emit(Enrichment e);

    void alert(Alert a);

    void reject(Rejected r);
}
