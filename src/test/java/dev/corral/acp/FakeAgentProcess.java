package dev.corral.acp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Launches {@link FakeAgent} as a real child process with a script, and reads back what it received. */
final class FakeAgentProcess implements AutoCloseable {

    final Process process;
    final Path record;

    private FakeAgentProcess(Process process, Path record) {
        this.process = process;
        this.record = record;
    }

    static FakeAgentProcess start(Path dir, String scriptJson) {
        try {
            Path script = Files.writeString(Files.createTempFile(dir, "script", ".json"), scriptJson);
            Path record = Files.createTempFile(dir, "received", ".jsonl");
            String java = ProcessHandle.current().info().command().orElse("java");
            Process p = new ProcessBuilder(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"),
                    FakeAgent.class.getName(), script.toString(), record.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            return new FakeAgentProcess(p, record);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    JsonRpcConnection.Builder connect() {
        return JsonRpcConnection.builder(process.getInputStream(), process.getOutputStream());
    }

    /** Every line the agent has received so far. */
    List<String> received() {
        try {
            return Files.readAllLines(record, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
