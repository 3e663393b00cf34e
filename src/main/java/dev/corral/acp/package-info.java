/**
 * Talking ACP to agent processes and keeping every event of a session durably.
 *
 * <ul>
 *   <li>{@link dev.corral.acp.JsonRpcConnection}: newline-delimited JSON-RPC 2.0 over an agent's stdio. Our calls
 *       are {@link dev.corral.acp.RpcCall}s; the agent's requests go to {@link dev.corral.acp.RequestHandler}s that
 *       answer through a {@link dev.corral.acp.Responder}; everything inbound is dispatched in arrival order, raw
 *       text kept ({@link dev.corral.acp.JsonRpcMessage}, {@link dev.corral.acp.RawJson}).
 *   <li>{@link dev.corral.acp.EventLog}: the gap-free numbered transcript in SQLite, with live
 *       {@link dev.corral.acp.Subscription}s that replay and then follow without gap or duplicate.
 * </ul>
 *
 * <p>Intended wiring in a session host: the connection's {@link dev.corral.acp.NotificationListener} calls
 * {@code eventLog.appendAsync(sid, SESSION_UPDATE, notification.rawParams().orElseThrow())}; the
 * {@code session/request_permission} handler appends a {@code PERMISSION_REQUEST} event built with
 * {@link dev.corral.acp.RawJson#withLeadingMember} and keeps the {@link dev.corral.acp.Responder} until a viewer
 * answers; when the {@code session/prompt} call completes (after every update before it was dispatched), the host
 * appends {@code TURN_END}. Viewers read only through {@link dev.corral.acp.EventLog#subscribe}, so they see
 * nothing that is not yet committed.
 */
package dev.corral.acp;
