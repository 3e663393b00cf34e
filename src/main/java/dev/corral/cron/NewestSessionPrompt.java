package dev.corral.cron;

import dev.corral.CorralException;
import dev.corral.acp.SessionHost;
import dev.corral.acp.SessionView;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;

/** A cron prompt goes to the workspace's newest agent session. */
public final class NewestSessionPrompt implements CronScheduler.PromptSender {
    private final SessionHost sessions;

    public NewestSessionPrompt(SessionHost sessions) {
        this.sessions = sessions;
    }

    @Override
    public CompletableFuture<String> send(String workspaceId, String text, String deliveryId) {
        SessionView newest = sessions.list(workspaceId).stream().max(Comparator.comparing(SessionView::createdAt))
                .orElseThrow(() -> CorralException.conflict("no_session", "the workspace has no agent session to prompt"));
        return sessions.prompt(newest.id(), text, deliveryId).stopReason();
    }
}
