package io.spikestream.cli.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalClusterTest {
    @TempDir
    Path tmp;

    @Test
    void aPidFileWhosePidNowBelongsToAnotherProgramIsNeverSignalled() throws Exception {
        LocalCluster cluster = new LocalCluster(tmp, FlinkHome.locate());
        // this test JVM stands for a process that reused the pid of a TaskManager killed with kill -9
        Files.writeString(cluster.taskManagerPid(0), ProcessHandle.current().pid() + "\n");
        assertThat(cluster.alive(cluster.taskManagerPid(0))).isEmpty();
        assertThat(cluster.stop()).isEmpty();
        assertThat(cluster.taskManagerPid(0)).doesNotExist();
    }

    @Test
    void aClusterThatDoesNotComeUpInTimeIsStoppedNotLeftRunning() throws Exception {
        LocalCluster cluster = new LocalCluster(tmp, FlinkHome.locate());
        assertThatThrownBy(() -> cluster.start(1, 1, 0, "768m", "1024m", Duration.ofMillis(1)))
                .hasMessageContaining("did not come up in time");
        assertThat(cluster.jobManagerPid()).doesNotExist();
        assertThat(cluster.taskManagerPid(0)).doesNotExist();
        // nothing of it is running any more
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().arguments()
                .map(a -> java.util.Arrays.asList(a).contains(tmp.resolve("conf").toString())).orElse(false)).count()).isZero();
    }
}
