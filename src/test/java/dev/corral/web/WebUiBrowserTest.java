package dev.corral.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.corral.agents.AgentInstaller;
import dev.corral.agents.AgentRegistry;
import dev.corral.agents.InstallListener;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.FakeModelServer;
import dev.corral.testing.ModelReply;
import dev.corral.testing.TestDaemon;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;

/**
 * The web UI in Debian's headless chromium against the real daemon, with the real opencode (installed from npm at its
 * pinned version) talking to the {@link FakeModelServer} through the workspace's {@code forward}: a user creates a
 * workspace (sent to Settings first for the missing key), prompts, sees the streamed answer, approves the file write,
 * sees its diff, opens and renames a terminal tab and runs a command, reloads and finds all of it, then the daemon is
 * killed and restarted and the transcript is still there. Screenshots of each step: {@code target/ui-screenshots/}.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class WebUiBrowserTest implements DaemonLogOnFailure.HasDaemon {
    static final Duration SHORT = Duration.ofSeconds(20);
    static final Duration AGENT = Duration.ofSeconds(150);

    @TempDir
    Path tmp;

    TestDaemon daemon;
    Browser browser;

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    @AfterEach
    void stop() throws Exception {
        if (browser != null) browser.close();
        if (daemon != null) daemon.close();
    }

    @Test
    void workspaceAgentPermissionDiffTerminalReloadAndRestart() throws Exception {
        Path home = tmp.resolve("home");
        new AgentInstaller(home).install(AgentRegistry.load(home).get("opencode"), InstallListener.NONE);
        try (FakeModelServer model = FakeModelServer.start()) {
            model.enqueue(
                    ModelReply.of(new ModelReply.Text("I will write the **notes** now."), new ModelReply.ToolCall("write",
                            "{\"filePath\":\"/workspace/notes.txt\",\"content\":\"written from the UI\\nsecond line\\n\"}")),
                    ModelReply.text("All done: `notes.txt` has two lines."));
            String modelPort = model.baseUrl().substring(model.baseUrl().lastIndexOf(':') + 1);
            daemon = TestDaemon.start(home);
            Api api = daemon.api();
            browser = new Browser(tmp.resolve("chrome-profile"));
            var b = browser;

            // 1. Token page load: cookie set, token gone from the address bar.
            b.driver.get(daemon.url() + "/?token=" + daemon.token());
            b.awaitVisible("#create-form", SHORT);
            assertThat(b.driver.getCurrentUrl()).doesNotContain("token");
            b.screenshot("01-workspaces-empty");

            // 2. Create: opencode has no key yet, so the form sends the user to Settings, then back.
            b.find("#name").sendKeys("ui-demo");
            b.await(SHORT).until(d -> !b.findAll("#agent option[value=opencode]").isEmpty());
            new Select(b.find("#agent")).selectByValue("opencode");
            b.find("#create-form details summary").click();
            new Select(b.find("#network-mode")).selectByValue("none");
            b.find("#forward").sendKeys("127.0.0.1:" + modelPort);
            b.find("#create").click();
            b.awaitVisible("[data-agent=opencode] input[name=OPENAI_API_KEY]", SHORT).sendKeys("sk-test-dummy-9876");
            b.screenshot("02-settings-key-needed");
            b.find("[data-agent=opencode] button[type=submit]").click();
            b.awaitVisible("#create-form", SHORT);
            assertThat(b.find("#name").getAttribute("value")).isEqualTo("ui-demo");
            assertThat(b.find("#forward").getAttribute("value")).isEqualTo("127.0.0.1:" + modelPort);
            assertThat(api.get("/api/v1/credentials").text()).contains("9876").doesNotContain("sk-test-dummy-9876");
            b.find("#create").click();
            b.awaitVisible("#prompt", Duration.ofSeconds(60));
            String ws = api.get("/api/v1/workspaces/ui-demo").json().path("id").asText();
            assertThat(b.driver.getCurrentUrl()).endsWith("#/w/" + ws);
            writeOpencodeConfig(api, ws, model.baseUrl());

            // 3. Prompt; the answer streams in; the write asks permission.
            b.find("#prompt").sendKeys("write notes.txt with two lines", Keys.ENTER);
            b.awaitText(".msg.user", "write notes.txt with two lines", AGENT);
            b.awaitText(".msg.agent", "I will write the notes now.", AGENT);
            WebElement allow = b.awaitClickable(".permission[role=alertdialog] button[data-kind=allow_once]", AGENT);
            b.screenshot("03-permission");
            allow.click();

            // 4. The diff of the written file, and the end of the turn.
            b.awaitText(".msg.agent", "All done: notes.txt has two lines.", AGENT);
            String sid = api.get("/api/v1/workspaces/" + ws + "/sessions").json().path(0).path("id").asText();
            java.nio.file.Files.writeString(Browser.SCREENSHOTS.resolve("transcript.json"),
                    api.get("/api/v1/sessions/" + sid + "/events").text());
            WebElement diff = b.awaitText(".diff", "written from the UI", AGENT);
            assertThat(diff.findElements(By.cssSelector(".dadd"))).hasSizeGreaterThanOrEqualTo(2);
            assertThat(b.find(".permission").getText()).contains("Answered");
            assertThat(b.find(".msg.agent strong").getText()).isEqualTo("notes");
            assertThat(api.get("/api/v1/workspaces/" + ws + "/files/notes.txt").text()).isEqualTo("written from the UI\nsecond line\n");
            b.screenshot("04-diff-and-answer");

            // 5. Terminal: a new tab, renamed, runs a command.
            b.find("#show-terminal").click();
            b.awaitClickable("#new-terminal", SHORT).click();
            b.awaitVisible(".term-host:not([hidden]) .xterm-rows", SHORT);
            typeInTerminal(b, "echo ui-$((6*7)) && wc -l notes.txt");
            awaitTerminalText(b, "ui-42");
            awaitTerminalText(b, "2 notes.txt");
            new Actions(b.driver).doubleClick(b.find(".tab-title[aria-selected=true]")).perform();
            WebElement rename = b.awaitVisible(".tab-rename", SHORT);
            rename.sendKeys(Keys.chord(Keys.CONTROL, "a"), "build", Keys.ENTER);
            b.awaitText(".tab-title", "build", SHORT);
            await().atMost(SHORT).until(() -> api.get("/api/v1/workspaces/" + ws + "/terminals").text().contains("\"build\""));
            b.screenshot("05-terminal");
            assertThat(b.consoleProblems()).as("console").isEmpty();

            // 6. Reload: the terminal view, its tab and its output come back; so does the conversation.
            b.driver.navigate().refresh();
            b.awaitText(".tab-title[aria-selected=true]", "build", SHORT);
            awaitTerminalText(b, "ui-42");
            b.screenshot("06-reload-terminal");
            b.find("#show-agent").click();
            b.awaitText(".msg.agent", "All done: notes.txt has two lines.", SHORT);
            b.awaitText(".diff", "written from the UI", SHORT);
            assertThat(b.findAll(".msg.user")).hasSize(1);
            assertThat(b.findAll(".tool")).hasSize(1);
            b.screenshot("07-reload-agent");
            ((org.openqa.selenium.chrome.ChromeDriver) b.driver).executeCdpCommand("Emulation.setEmulatedMedia",
                    Map.of("features", List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
            b.screenshot("07-reload-agent-dark");
            assertThat(b.consoleProblems()).as("console").isEmpty();

            // 7. Daemon killed and restarted (another port): the transcript is all there, once.
            daemon.kill();
            daemon.restart();
            b.driver.get(daemon.url() + "/#/w/" + ws);
            b.awaitText(".msg.agent", "All done: notes.txt has two lines.", Duration.ofSeconds(60));
            b.awaitText(".agent-state", "agent stopped", SHORT);
            assertThat(b.findAll(".msg.user")).hasSize(1);
            assertThat(b.findAll(".diff")).hasSize(1);
            b.screenshot("08-after-daemon-restart");

            // 8. Resume from the page; a follow-up prompt starts the agent again (session/load) and streams below.
            model.enqueue(ModelReply.text("Second answer, after the restart."));
            b.find("#resume-workspace").click();
            b.awaitText(".ws-head .state", "running", Duration.ofSeconds(60));
            b.awaitVisible("#prompt", SHORT).sendKeys("and now?", Keys.ENTER);
            b.awaitText(".msg.agent", "Second answer, after the restart.", AGENT);
            assertThat(b.findAll(".msg.user")).hasSize(2);
            assertThat(b.findAll(".tool")).hasSize(1);
            assertThat(b.findAll(".msg.agent").stream().filter(e -> e.getText().contains("All done")).count()).isEqualTo(1);
            b.screenshot("09-follow-up-after-restart");
        }
    }

    @Test
    void agentThatCannotStartOpensTheTerminalWithTheReason() throws Exception {
        Path home = tmp.resolve("home");
        var installed = new AgentInstaller(home).install(AgentRegistry.load(home).get("opencode"), InstallListener.NONE);
        // The installed agent's program replaced by one that fails at once, as a broken install or config would.
        java.nio.file.Files.delete(installed.bin());
        java.nio.file.Files.writeString(installed.bin(), "#!/bin/sh\necho 'opencode: cannot read its config' >&2\nexit 3\n");
        installed.bin().toFile().setExecutable(true);
        daemon = TestDaemon.start(home);
        Api api = daemon.api();
        assertThat(api.send("PUT", "/api/v1/credentials/opencode", "{\"env\":{\"OPENAI_API_KEY\":\"sk-test-longer-value-5678\"}}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8), "application/json").status()).isEqualTo(200);
        String ws = api.createRunning("{\"name\":\"broken\",\"agent\":\"opencode\"}").path("id").asText();
        browser = new Browser(tmp.resolve("chrome-profile"));
        var b = browser;
        b.driver.get(daemon.url() + "/?token=" + daemon.token());
        b.awaitText("table.list", "broken", SHORT);
        b.find("a[href='#/w/" + ws + "']").click();
        b.awaitVisible("#prompt", SHORT).sendKeys("hello", Keys.ENTER);

        WebElement banner = b.awaitVisible("#agent-banner", Duration.ofSeconds(90));
        assertThat(banner.getText()).contains("The agent cannot start").contains("cannot read its config");
        assertThat(b.find("#terminal-pane").isDisplayed()).isTrue();
        b.awaitVisible(".term-host:not([hidden]) .xterm-rows", SHORT);
        typeInTerminal(b, "echo still-$((1+1))");
        awaitTerminalText(b, "still-2");
        assertThat(b.findAll(".tab-title")).hasSize(1);
        b.screenshot("10-agent-cannot-start");

        // After a reload the crashed session still says why.
        b.driver.navigate().refresh();
        b.awaitText("#agent-banner", "cannot read its config", SHORT);
        assertThat(b.consoleProblems()).as("console").allSatisfy(l -> assertThat(l).contains("503"));

        // Settings: removing the key warns about the running workspace that uses it.
        b.find("a[href='#/settings']").click();
        b.awaitText("[data-agent=opencode] .key-status", "OPENAI_API_KEY=", SHORT);
        assertThat(b.find("[data-agent=opencode] .key-status").getText()).contains("5678").doesNotContain("sk-test-longer-value-5678");
        b.findAll("[data-agent=opencode] button").stream().filter(e -> e.getText().equals("Remove key")).findFirst().orElseThrow().click();
        var confirm = b.await(SHORT).until(org.openqa.selenium.support.ui.ExpectedConditions.alertIsPresent());
        assertThat(confirm.getText()).contains("Running workspaces use it: broken");
        confirm.accept();
        b.awaitText("p.status", "Still running with it: broken", SHORT);
        b.awaitText("[data-agent=opencode] .key-status", "No key set", SHORT);

        // Stop, then delete with confirmation, from the list.
        b.find("a[href='#/']").click();
        b.awaitText("tr[data-name=broken] button", "Stop", SHORT).click();
        b.awaitText("tr[data-name=broken] .state", "stopped", Duration.ofSeconds(60));
        b.awaitText("tr[data-name=broken] button", "Delete", SHORT).click();
        var sure = b.await(SHORT).until(org.openqa.selenium.support.ui.ExpectedConditions.alertIsPresent());
        assertThat(sure.getText()).contains("Delete workspace broken?");
        sure.accept();
        b.awaitText("section.card", "No workspaces yet", Duration.ofSeconds(60));
        b.screenshot("11-workspace-deleted");
        assertThat(api.get("/api/v1/workspaces").json().size()).isZero();
    }

    static void typeInTerminal(Browser b, String line) {
        b.find(".term-host:not([hidden]) .xterm-helper-textarea").sendKeys(line, Keys.ENTER);
    }

    static void awaitTerminalText(Browser b, String text) {
        b.awaitText(".term-host:not([hidden]) .xterm-rows", text, SHORT);
    }

    /** opencode's config in the workspace home, as OpenCodeSessionEndToEndTest writes it (docs/agents.md). */
    private static void writeOpencodeConfig(Api api, String ws, String modelBaseUrl) throws Exception {
        await().atMost(Duration.ofSeconds(60)).until(() -> "running".equals(api.get("/api/v1/workspaces/" + ws).json().path("state").asText()));
        Map<String, Object> config = Map.of(
                "$schema", "https://opencode.ai/config.json", "autoupdate", false, "share", "disabled",
                "enabled_providers", List.of("fake"), "model", "fake/fake-model", "small_model", "fake/fake-model",
                "permission", Map.of("bash", "ask", "edit", "ask"),
                "provider", Map.of("fake", Map.of("npm", "@ai-sdk/openai-compatible", "name", "Fake",
                        "options", Map.of("baseURL", modelBaseUrl + "/v1", "apiKey", "dummy"),
                        "models", Map.of("fake-model", Map.of("name", "Fake model", "tool_call", true)))));
        var json = new ObjectMapper();
        Api.Response r = api.post("/api/v1/workspaces/" + ws + "/exec", json.writeValueAsString(Map.of(
                "command", "mkdir -p ~/.config/opencode && cat > ~/.config/opencode/opencode.json",
                "stdin", json.writeValueAsString(config))));
        assertThat(r.json().path("exitCode").asInt()).as(r.toString()).isZero();
    }
}
