/**
 * The event-to-view reduction: a session's transcript (SPEC §4 "Agent sessions", docs/sessions.md) becomes the
 * conversation the agent view draws. {@link reduce} is pure: the same events always give the same view. Events are
 * applied in seq order; one whose seq is not above the last applied is a duplicate and ignored. Nothing is dropped:
 * unknown event types and unknown session_update kinds become "other" items shown generically.
 */

export interface SessionEvent {
  seq: number;
  at?: string;
  type: string;
  data: any;
}

export type Item =
  | { id: string; kind: "user"; text: string; rev: number }
  | { id: string; kind: "agent"; text: string; rev: number }
  | { id: string; kind: "thought"; text: string; rev: number }
  | { id: string; kind: "tool"; toolCallId: string; title: string; toolKind: string; status: string;
      locations: { path: string; line?: number }[]; content: any[]; rawInput?: any; rawOutput?: any; rev: number }
  | { id: string; kind: "permission"; requestId: string; toolCallId?: string; title: string;
      options: { optionId: string; name: string; kind: string }[];
      outcome?: { outcome: string; optionId?: string; by?: string }; rev: number }
  | { id: string; kind: "turn_end"; stopReason: string; rev: number }
  | { id: string; kind: "state"; state: string; reason?: string; stderr?: string[]; rev: number }
  | { id: string; kind: "error"; message: string; rev: number }
  /** An agent terminal's ended command; shown on its own only when no tool call embeds it. */
  | { id: string; kind: "terminal"; terminalId: string; embedded: boolean; rev: number }
  | { id: string; kind: "other"; label: string; data: any; rev: number };

export interface PlanEntry { content: string; priority?: string; status?: string }

/** What a terminal_exit event records of an agent terminal's command (docs/sessions.md). */
export interface TerminalRecord {
  terminalId: string; command: string; args: string[]; cwd?: string; output: string; truncated: boolean;
  exitStatus: { exitCode?: number | null; signal?: string | null } | null;
}

export interface View {
  lastSeq: number;
  items: Item[];
  plan: PlanEntry[];
  usage: any | null;
  modeId: string | null;
  configOptions: any[] | null;
  commands: any[];
  title: string | null;
  agentState: string | null;
  /** The last agent_state "crashed" reason (with stderr), cleared when the agent is ready again. */
  failure: { reason: string; stderr: string[] } | null;
  /** True between a user_prompt and its turn_end. */
  running: boolean;
  /** Permission requests not answered yet, by requestId. */
  pending: string[];
  /** Ended agent terminals by terminalId (terminal_exit), for the tool cards that embed them. */
  terminals: Record<string, TerminalRecord>;
}

export function emptyView(): View {
  return { lastSeq: 0, items: [], plan: [], usage: null, modeId: null, configOptions: null, commands: [],
    title: null, agentState: null, failure: null, running: false, pending: [], terminals: {} };
}

/** The view of a whole event list (pure). */
export function reduce(events: readonly SessionEvent[]): View {
  const view = emptyView();
  for (const e of events) apply(view, e);
  return view;
}

/** Applies one event to a view the caller owns (mutates it); returns false for a duplicate. */
export function apply(view: View, e: SessionEvent): boolean {
  if (typeof e.seq !== "number" || e.seq <= view.lastSeq) return false;
  view.lastSeq = e.seq;
  const d = e.data ?? {};
  switch (e.type) {
    case "user_prompt":
      push(view, { id: `u${e.seq}`, kind: "user", text: String(d.text ?? ""), rev: 0 });
      view.running = true;
      break;
    case "session_update":
      update(view, e.seq, d.update ?? {});
      break;
    case "permission_request": {
      const tc = d.toolCall ?? {};
      // The request's toolCall is an update of that tool call (it often carries the proposed diff).
      if (tc.toolCallId != null && view.items.some(i => i.kind === "tool" && i.toolCallId === String(tc.toolCallId))) {
        update(view, e.seq, { sessionUpdate: "tool_call_update", toolCallId: tc.toolCallId, content: tc.content,
          locations: tc.locations });
      }
      push(view, { id: `p${d.requestId}`, kind: "permission", requestId: String(d.requestId), toolCallId: tc.toolCallId,
        title: String(tc.title ?? tc.kind ?? "the agent asks for permission"),
        options: Array.isArray(d.options) ? d.options : [], rev: 0 });
      view.pending = [...view.pending, String(d.requestId)];
      break;
    }
    case "permission_response": {
      const p = view.items.find(i => i.kind === "permission" && i.requestId === String(d.requestId));
      if (p && p.kind === "permission") {
        p.outcome = { outcome: d.outcome, optionId: d.optionId, by: d.by };
        p.rev++;
      } else {
        other(view, e.seq, "permission_response", d);
      }
      view.pending = view.pending.filter(r => r !== String(d.requestId));
      break;
    }
    case "turn_end":
      push(view, { id: `e${e.seq}`, kind: "turn_end", stopReason: String(d.stopReason ?? ""), rev: 0 });
      view.running = false;
      view.pending = [];
      break;
    case "agent_state":
      view.agentState = String(d.state ?? "");
      if (d.state === "crashed") {
        view.failure = { reason: String(d.reason ?? "the agent exited"), stderr: Array.isArray(d.stderr) ? d.stderr : [] };
      } else if (d.state === "ready") {
        view.failure = null;
      }
      push(view, { id: `s${e.seq}`, kind: "state", state: view.agentState, reason: d.reason,
        stderr: Array.isArray(d.stderr) ? d.stderr : undefined, rev: 0 });
      break;
    case "error":
      push(view, { id: `x${e.seq}`, kind: "error", message: String(d.message ?? JSON.stringify(d)), rev: 0 });
      break;
    case "terminal_exit": {
      if (typeof d.terminalId !== "string") { other(view, e.seq, e.type, d); break; }
      const id = d.terminalId;
      view.terminals[id] = { terminalId: id, command: String(d.command ?? ""), args: Array.isArray(d.args) ? d.args.map(String) : [],
        cwd: d.cwd, output: String(d.output ?? ""), truncated: !!d.truncated, exitStatus: d.exitStatus ?? null };
      const tools = toolsWithTerminal(view, id);
      tools.forEach(t => t.rev++);
      push(view, { id: `k${e.seq}`, kind: "terminal", terminalId: id, embedded: tools.length > 0, rev: 0 });
      break;
    }
    default:
      other(view, e.seq, e.type, d);
  }
  return true;
}

function update(view: View, seq: number, u: any) {
  const kind = String(u.sessionUpdate ?? "");
  switch (kind) {
    case "agent_message_chunk":
    case "agent_thought_chunk":
    case "user_message_chunk": {
      const text = chunkText(u.content);
      if (text === null) { other(view, seq, kind, u); return; }
      const k = kind === "agent_message_chunk" ? "agent" : kind === "agent_thought_chunk" ? "thought" : "user";
      const last = view.items[view.items.length - 1];
      if (last && last.kind === k && (k !== "user" || last.id.startsWith("c"))) {
        last.text += text;
        last.rev++;
      } else {
        push(view, { id: `c${seq}`, kind: k, text, rev: 0 } as Item);
      }
      return;
    }
    case "tool_call":
    case "tool_call_update": {
      const id = String(u.toolCallId ?? "");
      let t = view.items.find(i => i.kind === "tool" && i.toolCallId === id);
      if (!t || t.kind !== "tool") {
        t = { id: `t${seq}`, kind: "tool", toolCallId: id, title: "", toolKind: "other", status: "pending",
          locations: [], content: [], rev: 0 };
        push(view, t);
      }
      if (u.title != null) t.title = String(u.title);
      if (u.kind != null) t.toolKind = String(u.kind);
      if (u.status != null) t.status = String(u.status);
      if (Array.isArray(u.locations)) t.locations = u.locations;
      if (Array.isArray(u.content)) {
        // A later update (e.g. "Wrote file") must not hide the diff shown before.
        const diffs = u.content.some((c: any) => c?.type === "diff") ? [] : t.content.filter(c => c?.type === "diff");
        t.content = [...diffs, ...u.content];
        // The command may have ended before the tool call showed its terminal: the card shows it from now on.
        for (const c of u.content) {
          if (c?.type !== "terminal") continue;
          for (const i of view.items) {
            if (i.kind === "terminal" && i.terminalId === c.terminalId && !i.embedded) { i.embedded = true; i.rev++; }
          }
        }
      }
      if (u.rawInput !== undefined) t.rawInput = u.rawInput;
      if (u.rawOutput !== undefined) t.rawOutput = u.rawOutput;
      t.rev++;
      return;
    }
    case "plan":
      view.plan = Array.isArray(u.entries) ? u.entries : [];
      return;
    case "current_mode_update":
      view.modeId = u.currentModeId ?? u.modeId ?? null;
      return;
    case "config_option_update":
    case "config_options_update":
      if (Array.isArray(u.configOptions)) view.configOptions = u.configOptions;
      else other(view, seq, kind, u);
      return;
    case "available_commands_update":
      view.commands = Array.isArray(u.availableCommands) ? u.availableCommands : [];
      return;
    case "usage_update":
      view.usage = u;
      return;
    case "session_info_update":
      if (u.title != null) view.title = String(u.title);
      return;
    default:
      other(view, seq, kind || "session_update", u);
  }
}

function toolsWithTerminal(view: View, terminalId: string) {
  return view.items.filter((i): i is Extract<Item, { kind: "tool" }> =>
    i.kind === "tool" && i.content.some(c => c?.type === "terminal" && c.terminalId === terminalId));
}

function chunkText(c: any): string | null {
  if (c && c.type === "text" && typeof c.text === "string") return c.text;
  return null;
}

function other(view: View, seq: number, label: string, data: any) {
  push(view, { id: `o${seq}`, kind: "other", label, data, rev: 0 });
}

function push(view: View, item: Item) {
  view.items.push(item);
}
