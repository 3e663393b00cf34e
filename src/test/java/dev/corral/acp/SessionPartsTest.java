package dev.corral.acp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Unit tests of the session host's small parts: permission policies, retry settings, permission event data. */
@Timeout(10)
class SessionPartsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void policiesPickTheFirstFittingOptionOrAsk() throws Exception {
        var params = JSON.readTree("""
                {"toolCall":{"kind":"execute"},"options":[{"optionId":"a","kind":"allow_always"},
                 {"optionId":"o","kind":"allow_once"},{"optionId":"r","kind":"reject_once"}]}""");
        assertThat(PermissionPolicy.ASK.choose(params)).isNull();
        assertThat(PermissionPolicy.ALLOW_ALL.choose(params)).isEqualTo("o");
        assertThat(PermissionPolicy.DENY_ALL.choose(params)).isEqualTo("r");
        assertThat(PermissionPolicy.ALLOW_READS.choose(params)).isNull();
        assertThat(PermissionPolicy.ALLOW_READS.choose(JSON.readTree("""
                {"toolCall":{"kind":"read"},"options":[{"optionId":"a","kind":"allow_always"}]}"""))).isEqualTo("a");
        assertThat(PermissionPolicy.DENY_ALL.choose(JSON.readTree("{\"options\":[{\"optionId\":\"o\",\"kind\":\"allow_once\"}]}"))).isNull();
        assertThat(PermissionPolicy.parse(null)).isEqualTo(PermissionPolicy.ASK);
        assertThat(PermissionPolicy.parse("Allow-All")).isEqualTo(PermissionPolicy.ALLOW_ALL);
        assertThatThrownBy(() -> PermissionPolicy.parse("sometimes")).hasMessageContaining("allow-reads");
    }

    @Test
    void retrySettingsComeFromTheEnvironmentAndBackOffUpToTheCap() {
        assertThat(PromptRetry.fromEnv(Map.of())).isEqualTo(PromptRetry.DEFAULTS);
        var r = PromptRetry.fromEnv(Map.of("ACP_PROMPT_RETRY_MAX_RETRIES", "5", "ACP_PROMPT_RETRY_INITIAL_BACKOFF", "500ms",
                "ACP_PROMPT_RETRY_MAX_BACKOFF", "2s"));
        assertThat(r.maxRetries()).isEqualTo(5);
        assertThat(r.delay(1)).isEqualTo(Duration.ofMillis(500));
        assertThat(r.delay(2)).isEqualTo(Duration.ofSeconds(1));
        assertThat(r.delay(4)).isEqualTo(Duration.ofSeconds(2));
        assertThat(PromptRetry.duration("3m", null)).isEqualTo(Duration.ofMinutes(3));
        assertThat(PromptRetry.duration("7", null)).isEqualTo(Duration.ofSeconds(7));
        assertThatThrownBy(() -> PromptRetry.duration("soon", null)).hasMessageContaining("500ms");
        assertThat(PromptRetry.isTransient("{\"code\":-32603,\"message\":\"429 Too Many Requests\"}")).isTrue();
        assertThat(PromptRetry.isTransient("{\"code\":-32603,\"message\":\"Overloaded\"}")).isTrue();
        assertThat(PromptRetry.isTransient("{\"code\":-32602,\"message\":\"Invalid params\"}")).isFalse();
    }

    @Test
    void permissionRequestDataKeepsTheAgentsTextAndAddsTheRequestIdFirst() {
        assertThat(AgentSession.withRequestId("{\"n\":1.50e3, \"s\":\"\\u00e9\"}", "perm-1"))
                .isEqualTo("{\"requestId\":\"perm-1\",\"n\":1.50e3, \"s\":\"\\u00e9\"}");
        assertThat(AgentSession.withRequestId(" { } ", "p")).isEqualTo("{\"requestId\":\"p\"}");
        assertThat(AgentSession.withRequestId("[1]", "p")).isEqualTo("{\"requestId\":\"p\",\"params\":[1]}");
    }
}
