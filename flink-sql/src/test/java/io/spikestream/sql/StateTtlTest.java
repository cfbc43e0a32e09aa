package io.spikestream.sql;

import org.apache.flink.table.api.ValidationException;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StateTtlTest {
    @Test
    void durationsInFlinksSyntaxWithSevenDaysWhenNoneIsGivenAndZeroForNone() {
        assertThat(StateTtl.parse(null)).isEqualTo(Duration.ofDays(7));
        assertThat(StateTtl.parse("12 h")).isEqualTo(Duration.ofHours(12));
        assertThat(StateTtl.parse("30 min")).isEqualTo(Duration.ofMinutes(30));
        assertThat(StateTtl.parse("7 d")).isEqualTo(Duration.ofDays(7));
        assertThat(StateTtl.parse("0")).isZero();
    }

    @Test
    void aMalformedOrNegativeDurationIsRefusedNamingTheArgument() {
        assertThatThrownBy(() -> StateTtl.parse("soon")).isInstanceOf(ValidationException.class).hasMessageContaining("state_ttl 'soon'");
        assertThatThrownBy(() -> StateTtl.parse("-1 s")).isInstanceOf(ValidationException.class).hasMessageContaining("state_ttl '-1 s'");
    }
}
