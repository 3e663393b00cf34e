package dev.corral.agents;

import dev.corral.CorralException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(30)
class AgentRegistryTest {

    @TempDir Path home;

    @Test
    void bundledRegistryHasThePinnedAgents() {
        AgentRegistry registry = AgentRegistry.bundled();

        assertThat(registry.all()).extracting(AgentEntry::id)
                .containsExactly("claude", "codex", "gemini", "opencode", "qwen", "copilot");
        AgentEntry gemini = registry.get("gemini");
        assertThat(gemini.npx().packageSpec()).isEqualTo("@google/gemini-cli@" + gemini.version());
        assertThat(gemini.npx().args()).containsExactly("--acp");
        assertThat(registry.get("opencode").npx().args()).containsExactly("acp");
        assertThat(registry.get("claude").corral().credentialEnv()).containsExactly("ANTHROPIC_API_KEY");
        assertThat(registry.get("claude").corral().egress()).contains("api.anthropic.com");
        assertThat(registry.get("codex").corral().exitsOnStdinEof()).isFalse();
        assertThat(registry.get("codex").corral().configHome()).isEqualTo(new AgentEntry.ConfigHome("CODEX_HOME", "~/.codex"));
        for (AgentEntry e : registry.all()) {
            PackageSpec spec = PackageSpec.parse(e.npx().packageSpec(), e.version());
            assertThat(spec.version()).as(e.id()).isEqualTo(e.version());
            assertThat(e.corral().initTimeoutSeconds()).as(e.id()).isPositive();
            // Each bundled agent says explicitly whether it honours HTTP(S)_PROXY (docs/agents.md).
            assertThat(e.corral().proxy()).as(e.id() + " proxy").isNotNull();
        }
    }

    @Test
    void proxyHintDefaultsToTrueAndCanSayFalse() throws IOException {
        write("""
                [{"id": "plain", "version": "1.0.0", "distribution": {"npx": {"package": "plain@1.0.0"}}},
                 {"id": "direct", "version": "1.0.0", "distribution": {"npx": {"package": "direct@1.0.0"}},
                  "corral": {"proxy": false}}]
                """);
        AgentRegistry registry = AgentRegistry.load(home);
        assertThat(registry.get("plain").corral().honoursProxy()).isTrue();
        assertThat(registry.get("direct").corral().honoursProxy()).isFalse();
    }

    @Test
    void withoutUserFileLoadEqualsBundled() {
        assertThat(AgentRegistry.load(home).all()).isEqualTo(AgentRegistry.bundled().all());
    }

    @Test
    void userEntriesOverrideByIdAndAppendNewOnes() throws IOException {
        write("""
                [
                  {"id": "claude", "name": "My Claude", "version": "0.1.0",
                   "distribution": {"npx": {"package": "@me/claude@0.1.0"}}},
                  {"id": "mine", "name": "Mine", "version": "2.0.0", "icon": "ignored-unknown-field",
                   "distribution": {"npx": {"package": "my-agent@2.0.0", "args": ["--stdio"], "env": {"A": "1"}}},
                   "corral": {"credentialEnv": ["MY_KEY"], "exitsOnStdinEof": false}}
                ]
                """);

        AgentRegistry registry = AgentRegistry.load(home);

        assertThat(registry.all()).extracting(AgentEntry::id)
                .containsExactly("claude", "codex", "gemini", "opencode", "qwen", "copilot", "mine");
        assertThat(registry.get("claude").name()).isEqualTo("My Claude");
        assertThat(registry.get("claude").corral().credentialEnv()).isEmpty();
        AgentEntry mine = registry.get("mine");
        assertThat(mine.npx().args()).containsExactly("--stdio");
        assertThat(mine.npx().env()).containsEntry("A", "1");
        assertThat(mine.corral().credentialEnv()).containsExactly("MY_KEY");
        assertThat(mine.corral().exitsOnStdinEof()).isFalse();
        assertThat(mine.corral().initTimeoutSeconds()).isEqualTo(60);
    }

    @Test
    void acceptsTheRegistryObjectForm() throws IOException {
        write("""
                {"version": "1.0.0", "agents": [
                  {"id": "x", "version": "1.0.0", "distribution": {"npx": {"package": "x@1.0.0"}}}]}
                """);
        assertThat(AgentRegistry.load(home).find("x")).isPresent();
    }

    @Test
    void badJsonNamesTheFileAndLine() throws IOException {
        write("[\n  {\"id\": \"x\",,}\n]");

        assertThatThrownBy(() -> AgentRegistry.load(home))
                .isInstanceOf(AgentRegistryException.class)
                .hasMessageContaining(home.resolve("agents.json").toString())
                .hasMessageContaining("not valid JSON")
                .hasMessageContaining("line 2");
    }

    @Test
    void wrongShapeIsExplained() throws IOException {
        write("{\"agents\": 3}");
        assertThatThrownBy(() -> AgentRegistry.load(home))
                .isInstanceOf(AgentRegistryException.class)
                .hasMessageContaining("agents.json")
                .hasMessageContaining("list of agents");
    }

    @Test
    void entryProblemsNameTheEntry() throws IOException {
        write("[{\"id\": \"ok\", \"version\": \"1.0.0\", \"distribution\": {\"npx\": {\"package\": \"a@1.0.0\"}}},"
                + " {\"id\": \"nodist\", \"version\": \"1.0.0\"}]");
        assertThatThrownBy(() -> AgentRegistry.load(home))
                .hasMessageContaining("agent #1 (\"nodist\")")
                .hasMessageContaining("distribution");

        write("[{\"id\": \"Bad Id\", \"version\": \"1\", \"distribution\": {\"npx\": {\"package\": \"a@1.0.0\"}}}]");
        assertThatThrownBy(() -> AgentRegistry.load(home)).hasMessageContaining("\"id\" must be");

        write("[{\"id\": \"d\", \"version\": \"1.0.0\", \"distribution\": {\"npx\": {\"package\": \"a@1.0.0\"}}},"
                + " {\"id\": \"d\", \"version\": \"1.0.0\", \"distribution\": {\"npx\": {\"package\": \"a@1.0.0\"}}}]");
        assertThatThrownBy(() -> AgentRegistry.load(home)).hasMessageContaining("twice");

        write("[{\"id\": \"t\", \"version\": \"1.0.0\", \"distribution\": {\"npx\": {\"args\": 5}}}]");
        assertThatThrownBy(() -> AgentRegistry.load(home)).isInstanceOf(AgentRegistryException.class)
                .hasMessageContaining("agent #0");
    }

    @Test
    void unknownIdIsNotFound() {
        assertThatThrownBy(() -> AgentRegistry.bundled().get("nope"))
                .isInstanceOfSatisfying(CorralException.class,
                        e -> assertThat(e.kind()).isEqualTo(CorralException.Kind.NOT_FOUND));
    }

    private void write(String json) throws IOException {
        Files.writeString(home.resolve("agents.json"), json, StandardCharsets.UTF_8);
    }
}
