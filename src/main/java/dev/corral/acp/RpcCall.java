package dev.corral.acp;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One request we sent to the agent, and its answer to come. Made by {@link JsonRpcConnection#call}, which has
 * already sent the request: a call is used once. It ends in exactly one way:
 * <ul>
 *   <li>the agent answers with a result: {@link #future()} completes with the {@link JsonRpcMessage.Response};
 *   <li>the agent answers with an error: it fails with {@link JsonRpcErrorException};
 *   <li>the deadline passes first: {@link CallTimeoutException};
 *   <li>the agent's stdout ends or its stdin breaks: {@link ConnectionClosedException};
 *   <li>{@link #cancel()}: {@link CancellationException}.
 * </ul>
 * Cancelling and timing out send nothing to the agent; to ask the agent to stop, send {@code session/cancel}
 * or {@code $/cancel_request} yourself. An answer arriving after either is reported as
 * {@link StreamProblem.UnmatchedResponse}. Answers are completed on the connection's dispatcher thread, after
 * every message that arrived before them was dispatched; dependent stages run there too unless made async.
 */
public final class RpcCall {

    private final long id;
    private final String method;
    private final Duration deadline;
    private final CompletableFuture<JsonRpcMessage.Response> future = new CompletableFuture<>();

    RpcCall(long id, String method, Duration deadline) {
        this.id = id;
        this.method = method;
        this.deadline = deadline;
    }

    /** Our JSON-RPC id for this request. Never reused on this connection. */
    public long id() {
        return id;
    }

    public String method() {
        return method;
    }

    /** The deadline this call was given, or null if it has none. */
    public Duration deadline() {
        return deadline;
    }

    /** Completes as described in the class documentation. Cancelling this future is the same as {@link #cancel()}. */
    public CompletableFuture<JsonRpcMessage.Response> future() {
        return future;
    }

    /**
     * Blocks until the call ends and returns the agent's successful answer.
     *
     * @throws JsonRpcErrorException if the agent answered with an error
     * @throws CallTimeoutException if the deadline passed
     * @throws ConnectionClosedException if the connection ended first
     * @throws CancellationException if the call was cancelled
     * @throws InterruptedException if this thread was interrupted while waiting (the call goes on)
     */
    public JsonRpcMessage.Response await() throws InterruptedException {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** {@link #await()} and return only the result. */
    public JsonNode awaitResult() throws InterruptedException {
        return await().result();
    }

    /** Stops waiting for the answer. Sends nothing. Returns false if the call had already ended. */
    public boolean cancel() {
        return future.completeExceptionally(new CancellationException("call " + method + " cancelled"));
    }

    public boolean isDone() {
        return future.isDone();
    }

    void complete(JsonRpcMessage.Response response) {
        if (response.isError()) {
            future.completeExceptionally(new JsonRpcErrorException(method, response));
        } else {
            future.complete(response);
        }
    }

    void fail(RuntimeException e) {
        future.completeExceptionally(e);
    }

    void startDeadline() {
        if (deadline != null) {
            CompletableFuture.delayedExecutor(deadline.toNanos(), TimeUnit.NANOSECONDS).execute(() -> {
                future.completeExceptionally(new CallTimeoutException(method, deadline));
            });
        }
    }

    @Override
    public String toString() {
        return "RpcCall{" + id + " " + method + (future.isDone() ? " done" : "") + "}";
    }
}
