import { describe, expect, it } from "vitest";
import { apply, emptyView, reduce, type SessionEvent } from "../src/reduce";

const upd = (seq: number, update: any): SessionEvent => ({ seq, type: "session_update", data: { sessionId: "s", update } });
const chunk = (seq: number, kind: string, text: string) => upd(seq, { sessionUpdate: kind, content: { type: "text", text } });

/** A turn as opencode records it: prompt, thinking, text, a tool call that asks permission and writes a file. */
const turn: SessionEvent[] = [
  { seq: 1, type: "agent_state", data: { state: "ready" } },
  { seq: 2, type: "user_prompt", data: { text: "write notes.txt", deliveryId: "d1" } },
  chunk(3, "agent_thought_chunk", "Let me "),
  chunk(4, "agent_thought_chunk", "think."),
  chunk(5, "agent_message_chunk", "I will "),
  chunk(6, "agent_message_chunk", "write it."),
  upd(7, { sessionUpdate: "tool_call", toolCallId: "c1", title: "write", kind: "edit", status: "pending",
    locations: [{ path: "/workspace/notes.txt" }] }),
  { seq: 8, type: "permission_request", data: { requestId: "r1", sessionId: "s", toolCall: { toolCallId: "c1", title: "Write notes.txt", kind: "edit",
    content: [{ type: "diff", path: "/workspace/notes.txt", oldText: null, newText: "hello\n" }] },
    options: [{ optionId: "once", name: "Allow once", kind: "allow_once" }, { optionId: "no", name: "Reject", kind: "reject_once" }] } },
  { seq: 9, type: "permission_response", data: { requestId: "r1", outcome: "selected", optionId: "once", by: "user" } },
  upd(10, { sessionUpdate: "tool_call_update", toolCallId: "c1", status: "completed",
    content: [{ type: "content", content: { type: "text", text: "Wrote file" } }] }),
  upd(11, { sessionUpdate: "plan", entries: [{ content: "write the file", status: "completed", priority: "high" }] }),
  upd(12, { sessionUpdate: "usage_update", used: 1200, size: 200000 }),
  upd(13, { sessionUpdate: "current_mode_update", currentModeId: "plan" }),
  chunk(14, "agent_message_chunk", "Done."),
  { seq: 15, type: "turn_end", data: { stopReason: "end_turn", deliveryId: "d1" } },
];

describe("reduce", () => {
  it("renders a turn as a conversation", () => {
    const v = reduce(turn);
    expect(v.items.map(i => i.kind)).toEqual(["state", "user", "thought", "agent", "tool", "permission", "agent", "turn_end"]);
    const texts = v.items.filter(i => i.kind === "agent").map(i => (i as any).text);
    expect(texts).toEqual(["I will write it.", "Done."]);
    expect((v.items[2] as any).text).toBe("Let me think.");
    const tool = v.items.find(i => i.kind === "tool") as any;
    expect(tool).toMatchObject({ toolCallId: "c1", title: "write", toolKind: "edit", status: "completed" });
    expect(tool.locations).toEqual([{ path: "/workspace/notes.txt" }]);
    // The diff proposed in the permission request stays when a later update brings other content.
    expect(tool.content.map((c: any) => c.type)).toEqual(["diff", "content"]);
    const perm = v.items.find(i => i.kind === "permission") as any;
    expect(perm.outcome).toEqual({ outcome: "selected", optionId: "once", by: "user" });
    expect(v.pending).toEqual([]);
    expect(v.plan).toHaveLength(1);
    expect(v.usage.used).toBe(1200);
    expect(v.modeId).toBe("plan");
    expect(v.running).toBe(false);
    expect(v.lastSeq).toBe(15);
  });

  it("gives the same view for the same events, every time and however they arrive", () => {
    const once = JSON.stringify(reduce(turn));
    expect(JSON.stringify(reduce(turn))).toBe(once);
    expect(JSON.stringify(reduce(structuredClone(turn)))).toBe(once);
    // Incrementally, in several batches (as a reconnecting socket delivers them), with replays overlapping.
    const v = emptyView();
    for (const e of turn.slice(0, 6)) apply(v, e);
    for (const e of turn.slice(3, 11)) apply(v, e);
    for (const e of turn) apply(v, e);
    expect(JSON.stringify(v)).toBe(once);
  });

  it("ignores duplicates by seq", () => {
    const doubled = turn.flatMap(e => [e, e]);
    expect(JSON.stringify(reduce(doubled))).toBe(JSON.stringify(reduce(turn)));
    const v = reduce(turn);
    expect(apply(v, chunk(15, "agent_message_chunk", "again"))).toBe(false);
    expect(apply(v, chunk(3, "agent_message_chunk", "old"))).toBe(false);
    expect(apply(v, chunk(16, "agent_message_chunk", "new"))).toBe(true);
  });

  it("shows unknown update kinds and event types generically, never drops them", () => {
    const v = reduce([
      upd(1, { sessionUpdate: "_vendor/telemetry", x: 1 }),
      upd(2, { sessionUpdate: "brand_new_kind", payload: { a: [1, 2] } }),
      { seq: 3, type: "future_event", data: { y: 2 } },
      upd(4, { sessionUpdate: "agent_message_chunk", content: { type: "image", data: "…", mimeType: "image/png" } }),
      upd(5, { noKind: true }),
    ]);
    expect(v.items.map(i => [i.kind, (i as any).label])).toEqual([
      ["other", "_vendor/telemetry"], ["other", "brand_new_kind"], ["other", "future_event"],
      ["other", "agent_message_chunk"], ["other", "session_update"]]);
    expect((v.items[1] as any).data).toEqual({ sessionUpdate: "brand_new_kind", payload: { a: [1, 2] } });
  });

  it("tracks pending permissions, running turns and agent failures", () => {
    const v = reduce(turn.slice(0, 8));
    expect(v.running).toBe(true);
    expect(v.pending).toEqual(["r1"]);
    apply(v, { seq: 9, type: "agent_state", data: { state: "crashed", reason: "exit 1", stderr: ["boom"] } });
    expect(v.failure).toEqual({ reason: "exit 1", stderr: ["boom"] });
    apply(v, { seq: 10, type: "agent_state", data: { state: "ready" } });
    expect(v.failure).toBeNull();
  });

  it("starts a new message after a tool call or a prompt, and merges a tool call update seen before its call", () => {
    const v = reduce([
      upd(1, { sessionUpdate: "tool_call_update", toolCallId: "x", status: "in_progress" }),
      upd(2, { sessionUpdate: "tool_call", toolCallId: "x", title: "run", kind: "execute" }),
    ]);
    expect(v.items).toHaveLength(1);
    expect(v.items[0]).toMatchObject({ kind: "tool", title: "run", toolKind: "execute", status: "in_progress" });
  });

  it("attaches an agent terminal's output to the tool card that embeds it, whichever comes first", () => {
    const exit = (seq: number, id: string, output: string) => ({ seq, type: "terminal_exit",
      data: { terminalId: id, command: "sh", args: ["-c", "ls"], cwd: "/workspace", output, truncated: false, exitStatus: { exitCode: 0, signal: null } } });
    const call = (seq: number, id: string, tid: string) => upd(seq, { sessionUpdate: "tool_call", toolCallId: id, title: "ls", kind: "execute",
      status: "in_progress", content: [{ type: "terminal", terminalId: tid }] });
    // The card first, then the command ends: the card shows the output, the terminal item is not shown on its own.
    const a = reduce([call(1, "c1", "term-a"), exit(2, "term-a", "a.txt\n")]);
    expect(a.terminals["term-a"]).toMatchObject({ command: "sh", args: ["-c", "ls"], output: "a.txt\n", exitStatus: { exitCode: 0 } });
    expect(a.items.map(i => i.kind)).toEqual(["tool", "terminal"]);
    expect(a.items[1]).toMatchObject({ embedded: true });
    expect(a.items[0].rev).toBe(reduce([call(1, "c1", "term-a")]).items[0].rev + 1); // drawn again with the output
    // The command ends before the tool call shows its terminal (the event comes from another thread).
    const b = reduce([exit(1, "term-b", "b\n"), call(2, "c2", "term-b")]);
    expect(b.items[0]).toMatchObject({ kind: "terminal", embedded: true });
    expect(b.terminals["term-b"].output).toBe("b\n");
    // A terminal no tool call embeds is shown on its own; a malformed record is kept as "other".
    const c = reduce([exit(1, "term-c", "c\n"), { seq: 2, type: "terminal_exit", data: { output: "?" } }]);
    expect(c.items.map(i => [i.kind, (i as any).embedded ?? (i as any).label])).toEqual([["terminal", false], ["other", "terminal_exit"]]);
    // Same events, same view.
    expect(JSON.stringify(reduce([call(1, "c1", "term-a"), exit(2, "term-a", "a.txt\n")]))).toBe(JSON.stringify(a));
  });
});
