package dev.corral.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class FakeModelServerTest {

    static final ObjectMapper JSON = new ObjectMapper();
    final FakeModelServer server = FakeModelServer.start();
    final HttpClient http = HttpClient.newHttpClient();
    final ModelReply toolTurn = ModelReply.of(new ModelReply.Text("Let me run it."),
            new ModelReply.ToolCall("bash", "{\"command\":\"echo hi > x.txt\"}"));

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void chatCompletionsStreamsToolCallDeltas() throws Exception {
        server.enqueue(toolTurn, ModelReply.text("All done."));
        List<JsonNode> chunks = dataEvents(post("/v1/chat/completions",
                "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"bash\"}}]}"));

        StringBuilder text = new StringBuilder(), args = new StringBuilder();
        String finish = null;
        for (JsonNode c : chunks) {
            JsonNode choice = c.path("choices").path(0);
            text.append(choice.path("delta").path("content").asText(""));
            for (JsonNode tc : choice.path("delta").path("tool_calls")) args.append(tc.path("function").path("arguments").asText(""));
            if (choice.hasNonNull("finish_reason")) finish = choice.path("finish_reason").asText();
        }
        assertThat(text).hasToString("Let me run it.");
        assertThat(JSON.readTree(args.toString()).path("command").asText()).isEqualTo("echo hi > x.txt");
        assertThat(finish).isEqualTo("tool_calls");
        assertThat(chunks.getLast().path("usage").path("total_tokens").asInt()).isEqualTo(15);
        assertThat(server.requests()).singleElement().satisfies(r -> assertThat(r.toolNames()).containsExactly("bash"));
        assertThat(server.scriptLeft()).isEqualTo(1);
    }

    @Test
    void sideRequestsWithoutToolsDoNotConsumeTheScript() throws Exception {
        server.enqueue(toolTurn);
        String body = post("/v1/chat/completions", "{\"model\":\"m\",\"stream\":false}");
        assertThat(JSON.readTree(body).path("choices").path(0).path("message").path("content").asText()).isEqualTo("Fake title");
        assertThat(server.scriptLeft()).isEqualTo(1);
    }

    @Test
    void responsesEndWithCompletedAndFunctionCallItem() throws Exception {
        server.enqueue(toolTurn);
        String sse = post("/v1/responses", "{\"model\":\"gpt\",\"stream\":true,\"tools\":[{\"type\":\"function\",\"name\":\"shell\"}]}");
        List<JsonNode> events = dataEvents(sse);
        assertThat(events).extracting(e -> e.path("type").asText())
                .startsWith("response.created", "response.in_progress").endsWith("response.completed")
                .contains("response.output_text.delta", "response.function_call_arguments.delta");
        JsonNode output = events.getLast().path("response").path("output");
        assertThat(output.path(1).path("type").asText()).isEqualTo("function_call");
        assertThat(output.path(1).path("arguments").asText()).contains("echo hi");
        assertThat(sse).contains("event: response.completed\n");
    }

    @Test
    void anthropicMessagesStreamToolUse() throws Exception {
        server.enqueue(toolTurn);
        List<JsonNode> events = dataEvents(post("/v1/messages?beta=true",
                "{\"model\":\"claude\",\"stream\":true,\"tools\":[{\"name\":\"Bash\"}]}"));
        assertThat(events.getFirst().path("type").asText()).isEqualTo("message_start");
        assertThat(events).filteredOn(e -> e.path("delta").path("type").asText().equals("input_json_delta")).isNotEmpty();
        assertThat(events).filteredOn(e -> e.path("type").asText().equals("message_delta"))
                .singleElement().satisfies(e -> assertThat(e.path("delta").path("stop_reason").asText()).isEqualTo("tool_use"));
        assertThat(JSON.readTree(post("/v1/messages/count_tokens", "{}")).path("input_tokens").asInt()).isEqualTo(10);
    }

    @Test
    void geminiStreamsFunctionCallsWhole() throws Exception {
        server.enqueue(toolTurn);
        List<JsonNode> events = dataEvents(post("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
                "{\"tools\":[{\"functionDeclarations\":[{\"name\":\"run_shell_command\"}]}]}"));
        assertThat(events).anySatisfy(e -> assertThat(e.at("/candidates/0/content/parts/0/functionCall/args/command").asText())
                .isEqualTo("echo hi > x.txt"));
        assertThat(events.getLast().at("/candidates/0/finishReason").asText()).isEqualTo("STOP");
        assertThat(server.awaitGeneration(Duration.ofSeconds(1)).toolNames()).containsExactly("run_shell_command");
    }

    private String post(String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private static List<JsonNode> dataEvents(String sse) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : sse.split("\n")) {
            if (line.startsWith("data: ") && !line.equals("data: [DONE]")) out.add(JSON.readTree(line.substring(6)));
        }
        return out;
    }
}
