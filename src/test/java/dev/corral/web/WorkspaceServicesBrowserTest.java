package dev.corral.web;

import static dev.corral.web.WebUiBrowserTest.SHORT;
import static dev.corral.web.WebUiBrowserTest.awaitTerminalText;
import static dev.corral.web.WebUiBrowserTest.typeInTerminal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.acp.SandboxedFakeAgent;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * The workspace page in Debian's headless chromium against the real daemon, with the scripted {@code FakeAgent} as the
 * workspace's agent (a real process in the sandbox): a turn with thinking, a plan, an ACP terminal embedded in a tool
 * call (its real output on the card), usage figures and a model choice that reaches the agent; a server started in a
 * terminal tab shows up as a listening port, its preview URL serves the page in a new browser tab and is refused once
 * revoked; two terminal tabs (one renamed) come back after a daemon kill, restart and resume, each with a fresh shell.
 * Screenshots: {@code target/ui-screenshots/1x-*.png}.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class WorkspaceServicesBrowserTest implements DaemonLogOnFailure.HasDaemon {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PORT = 8765;

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
    void agentDetailsPortsPreviewsAndTerminalTabsAcrossARestart() throws Exception {
        Path home = tmp.resolve("home");
        SandboxedFakeAgent.install(home);
        daemon = TestDaemon.start(home);
        Api api = daemon.api();
        String ws = api.createRunning("{\"name\":\"services\",\"agent\":\"fake\"}").path("id").asText();
        assertThat(api.put("/api/v1/workspaces/" + ws + "/files/hello.txt", "hi\n".getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(200);
        assertThat(api.put("/api/v1/workspaces/" + ws + "/files/.fake/script.json", script().getBytes(StandardCharsets.UTF_8)).status())
                .isEqualTo(200);
        browser = new Browser(tmp.resolve("chrome-profile"));
        var b = browser;
        b.driver.get(daemon.url() + "/?token=" + daemon.token());
        b.awaitText("table.list", "services", SHORT);
        b.driver.get(daemon.url() + "/#/w/" + ws);

        // 1. A turn: thinking (collapsed), plan, the terminal's output on its tool card, usage.
        b.awaitVisible("#prompt", SHORT).sendKeys("list the files", Keys.ENTER);
        WebElement live = b.awaitText("[data-tool-call-id=call-0] .agent-term", "live-start", Duration.ofSeconds(60));
        assertThat(live.getText()).contains("running").doesNotContain("live-end");
        b.screenshot("12-agent-terminal-running");
        b.awaitText("[data-tool-call-id=call-0] .agent-term", "live-end", SHORT);
        assertThat(b.find("[data-tool-call-id=call-0] .agent-term").getText()).contains("exit 0");
        b.awaitText(".msg.agent", "Listed the files.", Duration.ofSeconds(60));
        WebElement card = b.awaitText(".tool[data-tool-call-id=call-1]", "List files", SHORT);
        WebElement out = b.await(SHORT).until(d -> {
            var e = card.findElements(By.cssSelector(".agent-term pre.tool-out"));
            return !e.isEmpty() && e.get(0).getText().contains("hello.txt") ? e.get(0) : null;
        });
        assertThat(out.getText()).contains("listing /workspace").contains("hello.txt");
        assertThat(card.findElement(By.cssSelector(".agent-term .diff-head")).getText()).contains("$ sh -c").contains("exit 0");
        assertThat(b.findAll(".agent-terminal")).as("no separate terminal card for an embedded terminal").isEmpty();
        List<WebElement> plan = b.findAll("#session-side ol.plan li");
        assertThat(plan).hasSize(2);
        assertThat(plan.get(0).getText()).contains("completed").contains("List the files");
        assertThat(plan.get(1).getText()).contains("in_progress").contains("Summarise them");
        String usage = b.find("#usage").getText();
        assertThat(usage).contains("context").contains("tokens").contains("cost 0.0123 USD");
        assertThat(usage.replaceAll("[^0-9/]", "")).contains("5321/200000");
        WebElement thought = b.find("details.thought");
        assertThat(thought.getAttribute("open")).isNull();
        assertThat(thought.getText()).doesNotContain("Considering");
        thought.findElement(By.tagName("summary")).click();
        b.awaitText("details.thought", "Considering which files to list.", SHORT);
        b.screenshot("13-terminal-output-plan-usage-thinking");

        // 2. The model selector fed by the session's "models" goes through the API to the agent.
        Select model = new Select(b.awaitVisible("#model-select", SHORT));
        assertThat(model.getFirstSelectedOption().getAttribute("value")).isEqualTo("small");
        model.selectByValue("large");
        String sid = api.get("/api/v1/workspaces/" + ws + "/sessions").json().path(0).path("id").asText();
        await().atMost(SHORT).until(() -> api.get("/api/v1/sessions/" + sid).json().path("model").asText().equals("large"));
        assertThat(api.sh(ws, "grep -c 'session/set_model.*\"modelId\":\"large\"' /home/corral/received.jsonl")
                .path("stdout").asText().strip()).isEqualTo("1");
        b.driver.navigate().refresh();
        b.awaitText(".tool .agent-term pre.tool-out", "hello.txt", SHORT);
        assertThat(new Select(b.awaitVisible("#model-select", SHORT)).getFirstSelectedOption().getAttribute("value")).isEqualTo("large");
        assertThat(b.consoleProblems()).as("console").isEmpty();

        // 3. A server in a terminal tab: its port appears; Preview opens it in a new tab; revoked, it is refused.
        b.find("#show-terminal").click();
        b.awaitClickable("#new-terminal", SHORT).click();
        b.awaitVisible(".term-host:not([hidden]) .xterm-rows", SHORT);
        typeInTerminal(b, "mkdir -p /tmp/site && cd /tmp/site && echo preview-body-$((6*7)) > index.html && python3 -m http.server " + PORT);
        awaitTerminalText(b, "Serving HTTP");
        b.find("#ports-panel summary").click();
        WebElement row = b.awaitVisible("#ports-list tr[data-port='" + PORT + "']", Duration.ofSeconds(30));
        assertThat(row.getText()).contains("python3");
        String main = b.driver.getWindowHandle();
        row.findElement(By.cssSelector("button.preview-port")).click();
        b.await(SHORT).until(ExpectedConditions.numberOfWindowsToBe(2));
        String previewTab = b.driver.getWindowHandles().stream().filter(h -> !h.equals(main)).findFirst().orElseThrow();
        b.driver.switchTo().window(previewTab);
        b.await(SHORT).until(d -> d.getPageSource().contains("preview-body-42"));
        String url = b.driver.getCurrentUrl();
        assertThat(url).startsWith(daemon.url() + "/preview/");
        b.screenshot("14-preview-tab");
        b.driver.close();
        b.driver.switchTo().window(main);
        WebElement listed = b.awaitVisible("#previews-list li[data-port='" + PORT + "']", SHORT);
        assertThat(listed.findElement(By.cssSelector("a.preview-url")).getAttribute("href")).isEqualTo(url);
        b.screenshot("15-ports-and-previews");
        listed.findElement(By.cssSelector("button.revoke-preview")).click();
        var confirm = b.await(SHORT).until(ExpectedConditions.alertIsPresent());
        assertThat(confirm.getText()).contains("Revoke this preview URL?");
        confirm.accept();
        b.awaitText("#previews-list", "No preview URL shared", SHORT);
        assertThat(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
        b.driver.get(url);
        b.await(SHORT).until(d -> d.getPageSource().contains("preview_not_found"));
        assertThat(b.driver.getPageSource()).doesNotContain("preview-body-42");
        // The refused preview, and the previewed page's own /favicon.ico (it shares the daemon's origin): both 404s
        // of the preview tab, not of the UI.
        assertThat(b.consoleProblems()).as("console").allSatisfy(l -> assertThat(l).containsAnyOf("/preview/", "/favicon.ico").contains("404"));

        // 4. A second tab, renamed; the daemon is killed and restarted; after resume both tabs are back, fresh.
        b.driver.get(daemon.url() + "/#/w/" + ws);
        b.awaitClickable("#new-terminal", SHORT).click();
        await().atMost(SHORT).until(() -> b.findAll(".tab-title").size() == 2);
        // Rename once the new shell is up (its prompt shows), as a person would.
        b.awaitText(".term-host:not([hidden]) .xterm-rows", "$", SHORT);
        // F2 on the selected tab (WebUiBrowserTest double-clicks): a double-click here could land beside the tab
        // when the ports panel above it redraws.
        b.find(".tab-title[aria-selected=true]").sendKeys(Keys.F2);
        WebElement renameBox;
        try {
            renameBox = b.awaitVisible(".tab-rename", SHORT);
        } catch (RuntimeException e) {
            b.screenshot("fail-tab-rename");
            throw e;
        }
        renameBox.sendKeys(Keys.chord(Keys.CONTROL, "a"), "build", Keys.ENTER);
        b.awaitText(".tab-title", "build", SHORT);
        await().atMost(SHORT).until(() -> api.get("/api/v1/workspaces/" + ws + "/terminals").text().contains("\"build\""));
        String before = daemon.url();
        daemon.kill();
        daemon.restart();
        Api after = daemon.api();
        b.driver.get(daemon.url() + "/#/w/" + ws);
        // The old page kept trying the dead daemon until it was left; nothing else went wrong.
        assertThat(b.consoleProblems()).as("console").allSatisfy(l -> assertThat(l).contains(before.replace("http://", ""))
                .contains("ERR_CONNECTION_REFUSED"));
        b.awaitClickable("#resume-workspace", Duration.ofSeconds(60)).click();
        b.awaitText(".ws-head .state", "running", Duration.ofSeconds(60));
        // The agent terminal's output is in the transcript, so its card survives the restart too.
        b.awaitText(".tool .agent-term pre.tool-out", "hello.txt", SHORT);
        // The restarted test daemon listens on another port, a new origin without the old localStorage (a real
        // restart keeps its port, and the selected view): choose the terminal view again.
        b.find("#show-terminal").click();
        await().atMost(SHORT).until(() -> b.findAll(".tab-title").stream().map(WebElement::getText).toList(), l -> l.equals(List.of("bash", "build")));
        for (String title : List.of("bash", "build")) {
            b.findAll(".tab-title").stream().filter(e -> e.getText().equals(title)).findFirst().orElseThrow().click();
            awaitTerminalText(b, "this is a new shell; earlier output is gone");
            typeInTerminal(b, "echo again-$((2*3))-" + title);
            awaitTerminalText(b, "again-6-" + title);
        }
        assertThat(after.get("/api/v1/workspaces/" + ws + "/terminals").json().size()).isEqualTo(2);
        b.screenshot("16-terminal-tabs-after-restart");
        assertThat(b.consoleProblems()).as("console").isEmpty();
    }

    /** The fake agent's script: models to choose from, and a turn with thinking, plan, an ACP terminal and usage. */
    private static String script() {
        ObjectNode root = JSON.createObjectNode().put("stopReason", "end_turn");
        ObjectNode models = root.putObject("newSession").putObject("models").put("currentModelId", "small");
        models.putArray("availableModels").add(JSON.createObjectNode().put("modelId", "small").put("name", "Small model"))
                .add(JSON.createObjectNode().put("modelId", "large").put("name", "Large model"));
        ArrayNode turn = root.putArray("turn");
        update(turn, "{\"sessionUpdate\":\"agent_thought_chunk\",\"content\":{\"type\":\"text\",\"text\":\"Considering which files to list.\"}}");
        update(turn, "{\"sessionUpdate\":\"plan\",\"entries\":[{\"content\":\"List the files\",\"status\":\"completed\",\"priority\":\"high\"},"
                + "{\"content\":\"Summarise them\",\"status\":\"in_progress\",\"priority\":\"medium\"}]}");
        // A slow command first: its output so far shows on the card while it runs.
        request(turn, "terminal/create", "{\"command\":\"sh\",\"args\":[\"-c\",\"echo live-start; sleep 6; echo live-end\"]}");
        update(turn, "{\"sessionUpdate\":\"tool_call\",\"toolCallId\":\"call-0\",\"title\":\"Warm up\",\"kind\":\"execute\","
                + "\"status\":\"in_progress\",\"content\":[{\"type\":\"terminal\",\"terminalId\":\"${1.terminalId}\"}]}");
        request(turn, "terminal/wait_for_exit", "{\"terminalId\":\"${1.terminalId}\"}");
        update(turn, "{\"sessionUpdate\":\"tool_call_update\",\"toolCallId\":\"call-0\",\"status\":\"completed\"}");
        request(turn, "terminal/release", "{\"terminalId\":\"${1.terminalId}\"}");
        request(turn, "terminal/create", "{\"command\":\"sh\",\"args\":[\"-c\",\"echo listing /workspace; ls /workspace\"]}");
        update(turn, "{\"sessionUpdate\":\"tool_call\",\"toolCallId\":\"call-1\",\"title\":\"List files\",\"kind\":\"execute\","
                + "\"status\":\"in_progress\",\"content\":[{\"type\":\"terminal\",\"terminalId\":\"${4.terminalId}\"}]}");
        request(turn, "terminal/wait_for_exit", "{\"terminalId\":\"${4.terminalId}\"}");
        update(turn, "{\"sessionUpdate\":\"tool_call_update\",\"toolCallId\":\"call-1\",\"status\":\"completed\"}");
        request(turn, "terminal/release", "{\"terminalId\":\"${4.terminalId}\"}");
        update(turn, "{\"sessionUpdate\":\"usage_update\",\"used\":5321,\"size\":200000,\"cost\":{\"amount\":0.0123,\"currency\":\"USD\"}}");
        update(turn, "{\"sessionUpdate\":\"agent_message_chunk\",\"content\":{\"type\":\"text\",\"text\":\"Listed the files.\"}}");
        return root.toString();
    }

    private static void update(ArrayNode turn, String update) {
        try {
            ObjectNode params = JSON.createObjectNode().put("sessionId", "fake-session-1");
            params.set("update", JSON.readTree(update));
            turn.addObject().put("op", "notify").put("method", "session/update").set("params", params);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static void request(ArrayNode turn, String method, String params) {
        try {
            ObjectNode p = (ObjectNode) JSON.readTree(params);
            p.put("sessionId", "fake-session-1");
            turn.addObject().put("op", "request").put("method", method).set("params", p);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
