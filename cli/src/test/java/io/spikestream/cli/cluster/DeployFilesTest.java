package io.spikestream.cli.cluster;

import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The deploy files carry the configuration keys and JVM options of the local cluster: they cannot drift apart. */
class DeployFilesTest {
    static final Path DEPLOY = TestData.repositoryRoot().resolve("deploy");

    @Test
    void composeAndKubernetesSetEveryCommonKeyAsTheLocalClusterDoes() throws Exception {
        for (Path f : List.of(DEPLOY.resolve("compose/docker-compose.yml"), DEPLOY.resolve("kubernetes/flinkdeployment.yaml"))) {
            List<String> lines = Files.readAllLines(f).stream().map(l -> l.strip().replace("\"", "")).toList();
            for (Map.Entry<String, String> e : ClusterConfig.COMMON.entrySet()) {
                assertThat(lines).as(f + " sets " + e.getKey()).contains(e.getKey() + ": " + e.getValue());
            }
        }
        // compose sets them for the JobManager and the TaskManager alike
        String compose = Files.readString(DEPLOY.resolve("compose/docker-compose.yml"));
        assertThat(compose.split("env\\.java\\.opts\\.all: ", -1)).hasSize(3);
    }

    @Test
    void theImageStartsFlinkWithTheSameJvmOptions() throws Exception {
        assertThat(Files.readString(DEPLOY.resolve("docker/Dockerfile")))
                .contains("ENV FLINK_ENV_JAVA_OPTS=\"" + String.join(" ", ClusterConfig.JVM_OPTIONS) + "\"");
    }

    @Test
    void theLocalClusterWritesThemIntoItsConfigYaml() throws Exception {
        Path dir = Files.createTempDirectory("cluster-config");
        Path file = dir.resolve("conf/config.yaml");
        ClusterConfig.write(ClusterConfig.local(dir, 2, 8081, 6123, "1024m", "1536m"), file);
        org.apache.flink.configuration.Configuration read = org.apache.flink.configuration.GlobalConfiguration.loadConfiguration(file.getParent().toString());
        for (Map.Entry<String, String> e : ClusterConfig.COMMON.entrySet()) {
            assertThat(read.toMap()).containsEntry(e.getKey(), e.getValue());
        }
        assertThat(read.toMap()).containsEntry("taskmanager.numberOfTaskSlots", "2").containsEntry("rest.port", "8081")
                .containsEntry("execution.checkpointing.dir", dir.resolve("checkpoints").toUri().toString());
    }
}
