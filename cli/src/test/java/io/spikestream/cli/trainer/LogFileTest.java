package io.spikestream.cli.trainer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class LogFileTest {
    @TempDir
    Path tmp;

    @Test
    void linesSplitAtNewlinesOnlyAsTheJobSplitsARecord() throws Exception {
        assertThat(LogFile.lines(Files.writeString(tmp.resolve("a"), "one\r\ntwo\n\nthree"))).containsExactly("one\r", "two", "", "three");
        assertThat(LogFile.lines(Files.writeString(tmp.resolve("b"), "one\ntwo\n"))).containsExactly("one", "two");
        assertThat(LogFile.lines(Files.writeString(tmp.resolve("c"), ""))).isEmpty();
        assertThat(LogFile.lines(Files.writeString(tmp.resolve("d"), "\n"))).containsExactly("");
    }
}
