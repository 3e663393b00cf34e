import { ApiError, enc, get, post, wsUrl } from "./api";
import { ago, clear, h } from "./dom";
import { apply, emptyView, type Item, type TerminalRecord, type View } from "./reduce";
import { renderMarkdown } from "./markdown";
import { diffLines } from "./diff";
import type { WorkspaceShell } from "./workspace";

/** The agent view: session list, the conversation (from the event WebSocket), side panel and prompt box. */
export function agentView(pane: HTMLElement, shell: WorkspaceShell): () => void {
  const w = shell.workspace;
  const selKey = `corral.session.${w.id}`;
  const sessionList = h("ul.sessions", { "aria-label": "sessions" });
  const agentSel = h("select#new-session-agent", { "aria-label": "agent for a new session" });
  const newBtn = h("button#new-session", { type: "button" }, "New session");
  const status = h("p.status#agent-status", { role: "status", "aria-live": "polite" });
  const conv = h("div.conversation#conversation", { "aria-live": "off" });
  const side = h("aside.side#session-side", { "aria-label": "session details" });
  const text = h("textarea#prompt", { rows: 3, placeholder: "Ask the agent… (Enter sends, Shift+Enter adds a line)",
    "aria-label": "prompt" });
  const send = h("button.primary#send", { type: "submit" }, "Send");
  const cancel = h("button#cancel", { type: "button", disabled: true }, "Cancel");
  const form = h("form.prompt-box", {}, text, h("div.col", {}, send, cancel));
  clear(pane, h("div.agent-layout", {},
    h("nav.session-nav", { "aria-label": "sessions" }, h("h2", {}, "Sessions"), sessionList,
      h("div.field", {}, agentSel, newBtn)),
    h("div.chat", {}, status, conv, form), side));

  let disposed = false;
  let current: SessionStream | null = null;
  let sessions: any[] = [];
  let reloadTimer: ReturnType<typeof setTimeout> | undefined;

  const loadSessions = async (select?: string) => {
    try { sessions = await get<any[]>(`/api/v1/workspaces/${enc(w.id)}/sessions`); } catch (e) { status.textContent = (e as Error).message; return; }
    if (disposed) return;
    sessions.sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
    const want = select ?? current?.sid ?? localStorage.getItem(selKey) ?? sessions[sessions.length - 1]?.id;
    clear(sessionList, sessions.map(s => h("li", {}, h("button", { type: "button", dataset: { sid: s.id },
      "aria-current": s.id === want ? "true" : undefined, onclick: () => open(s.id) },
      `${s.agent} · ${s.state}`, h("span.muted.small", {}, ` ${ago(s.createdAt)}`)))));
    if (!sessions.length) {
      clear(conv, h("p.muted.empty", {}, w.state === "running" ? "No session yet: write a prompt to start the agent." : ""));
    }
    if (want && sessions.some(s => s.id === want) && current?.sid !== want) open(want);
  };

  get<any[]>("/api/v1/agents").then(agents => {
    for (const a of agents) agentSel.append(h("option", { value: a.id }, a.name));
    agentSel.value = w.agent ?? agents[0]?.id ?? "";
  }).catch(() => {});

  const open = (sid: string) => {
    current?.close();
    localStorage.setItem(selKey, sid);
    current = new SessionStream(sid, conv, side, status, shell, (running) => {
      cancel.disabled = !running;
    }, () => {
      // agent_state events come in bursts during a replay: reload the list once.
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(() => loadSessions(), 300);
    });
    sessionList.querySelectorAll("button").forEach(b => b.setAttribute("aria-current", String(b.dataset.sid === sid)));
  };

  const create = async (): Promise<string | null> => {
    const agent = agentSel.value || w.agent;
    if (!agent) { status.textContent = "Choose an agent."; return null; }
    newBtn.disabled = true;
    status.textContent = `Starting ${agent} (installed on first use, this can take a while)…`;
    try {
      const s = await post(`/api/v1/workspaces/${enc(w.id)}/sessions`, { agent });
      status.textContent = "";
      await loadSessions(s.id);
      return s.id;
    } catch (e) {
      const err = e as ApiError;
      status.textContent = err.message;
      if (err.code === "agent_start_failed") { shell.agentFailed(err.message); loadSessions(); }
      return null;
    } finally {
      newBtn.disabled = false;
    }
  };
  newBtn.addEventListener("click", () => { create(); });

  const submit = async () => {
    const t = text.value.trim();
    if (!t) return;
    const sid = current?.sid ?? await create();
    if (!sid) return;
    send.disabled = true;
    try {
      await post(`/api/v1/sessions/${enc(sid)}/prompt`, { text: t, deliveryId: newId() });
      text.value = "";
    } catch (e) {
      status.textContent = (e as Error).message;
    } finally {
      send.disabled = false;
      text.focus();
    }
  };
  form.addEventListener("submit", ev => { ev.preventDefault(); submit(); });
  text.addEventListener("keydown", ev => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); submit(); }
    if (ev.key === "Escape" && !cancel.disabled) cancel.click();
  });
  cancel.addEventListener("click", async () => {
    if (!current) return;
    try { await post(`/api/v1/sessions/${enc(current.sid)}/cancel`); } catch (e) { status.textContent = (e as Error).message; }
  });

  loadSessions();
  return () => { disposed = true; clearTimeout(reloadTimer); current?.close(); };
}

function newId(): string {
  return typeof crypto.randomUUID === "function" ? crypto.randomUUID() : `d${Date.now()}${Math.random().toString(16).slice(2)}`;
}

/**
 * One session's event stream: the WebSocket with {@code ?after=} the last applied seq, reconnected with backoff, so a
 * reload, a network drop or a daemon restart loses and doubles nothing (the reducer also ignores seen seqs).
 */
class SessionStream {
  readonly view: View = emptyView();
  private ws: WebSocket | null = null;
  private closed = false;
  private backoff = 250;
  private session: any = null;
  private rendered = new Map<string, { rev: number; el: HTMLElement }>();
  private openThoughts = new Set<string>();
  private frame = 0;
  private reportedFailure = false;
  /** Choices made here and accepted, until the agent reports the mode or config itself. */
  private chosenMode: string | null = null;
  private chosenConfig: any[] | null = null;
  /** Output so far of agent terminals still running (GET …/terminals), polled while a card waits for one. */
  private liveTerms: Record<string, any> = {};
  private livePoll: ReturnType<typeof setTimeout> | null = null;
  private lastPending = "";
  private retry: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly sid: string, private conv: HTMLElement, private side: HTMLElement,
              private status: HTMLElement, private shell: WorkspaceShell, private onRunning: (r: boolean) => void,
              private onAgentState: () => void) {
    clear(conv);
    this.refreshSession();
    this.connect();
  }

  private async refreshSession() {
    try {
      this.session = await get(`/api/v1/sessions/${enc(this.sid)}`);
      this.schedule();
    } catch (e) { this.status.textContent = (e as Error).message; }
  }

  private connect() {
    if (this.closed) return;
    const ws = new WebSocket(wsUrl(`/api/v1/sessions/${enc(this.sid)}/ws?after=${this.view.lastSeq}`));
    this.ws = ws;
    ws.onopen = () => { this.backoff = 250; this.status.textContent = ""; };
    ws.onmessage = ev => {
      let m: any;
      try { m = JSON.parse(String(ev.data)); } catch { return; }
      if (typeof m.seq === "number") {
        if (apply(this.view, m)) {
          const kind = m.type === "session_update" ? String(m.data?.update?.sessionUpdate ?? "") : "";
          if (/mode/.test(kind)) this.chosenMode = null;
          if (/config/.test(kind)) this.chosenConfig = null;
          if (/mode|config/.test(kind)) this.refreshSession();
          if (m.type === "agent_state") { this.refreshSession(); this.onAgentState(); }
          this.schedule();
        }
      } else if (m.reply === "error") {
        this.status.textContent = m.error;
      }
    };
    ws.onclose = ev => {
      if (this.closed || this.ws !== ws) return;
      if (ev.code === 4404) { this.status.textContent = "This session no longer exists."; return; }
      this.status.textContent = "Reconnecting…";
      this.retry = setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 5000);
    };
  }

  close() {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.livePoll) clearTimeout(this.livePoll);
    this.ws?.close();
    cancelAnimationFrame(this.frame);
  }

  private schedule() {
    if (this.frame || this.closed) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); });
  }

  private render() {
    const v = this.view;
    const atBottom = this.conv.scrollHeight - this.conv.scrollTop - this.conv.clientHeight < 80;
    for (const item of v.items) {
      const r = this.rendered.get(item.id);
      if (r && r.rev === item.rev) continue;
      const el = this.item(item);
      el.dataset.item = item.id;
      if (r) r.el.replaceWith(el); else this.conv.append(el);
      this.rendered.set(item.id, { rev: item.rev, el });
    }
    if (!v.items.length) clear(this.conv, h("p.muted.empty", {}, "No messages yet."));
    else this.conv.querySelector(".empty")?.remove();
    if (atBottom) this.conv.scrollTop = this.conv.scrollHeight;
    this.onRunning(v.running);
    this.renderSide();
    if (this.waitingTerminals().length && !this.livePoll) this.livePoll = setTimeout(() => this.pollTerminals(), 1000);
    const pending = v.pending.join(",");
    if (pending && pending !== this.lastPending) {
      (this.conv.querySelector(`[data-item="p${CSS.escape(v.pending[0])}"] button`) as HTMLElement | null)?.focus();
    }
    this.lastPending = pending;
    if (v.agentState === "crashed" && v.failure && !this.reportedFailure) {
      this.reportedFailure = true;
      this.shell.agentFailed(`${v.failure.reason}${v.failure.stderr.length ? `: ${v.failure.stderr.slice(-3).join(" / ")}` : ""}`);
    }
    if (v.agentState !== "crashed") this.reportedFailure = false;
  }

  private item(item: Item): HTMLElement {
    switch (item.kind) {
      case "user":
        return h("div.msg.user", {}, h("div.who", {}, "You"), h("div.body.pre", {}, item.text));
      case "agent": {
        const body = h("div.body.md");
        body.innerHTML = renderMarkdown(item.text);
        return h("div.msg.agent", {}, body);
      }
      case "thought": {
        const d = h("details.thought", { open: this.openThoughts.has(item.id) },
          h("summary", {}, "Thinking"), h("div.body.pre", {}, item.text));
        d.addEventListener("toggle", () => d.open ? this.openThoughts.add(item.id) : this.openThoughts.delete(item.id));
        return d;
      }
      case "tool":
        return h(`div.tool.status-${item.status}`, { dataset: { toolCallId: item.toolCallId } },
          h("div.tool-head", {}, h("span.badge", {}, item.toolKind), h("span.title", {}, item.title || item.toolCallId),
            h(`span.badge.st-${item.status}`, {}, item.status)),
          item.locations.length ? h("ul.locations", {}, item.locations.map(l =>
            h("li", {}, h("code", {}, `${l.path}${l.line ? `:${l.line}` : ""}`)))) : null,
          item.content.map(c => toolContent(c, this.view, this.liveTerms)),
          inputDiff(item),
          item.rawInput !== undefined && item.rawInput !== null ? h("details.raw", {}, h("summary", {}, "Input"),
            h("pre", {}, pretty(item.rawInput))) : null,
          item.rawOutput !== undefined && item.rawOutput !== null ? h("details.raw", {}, h("summary", {}, "Output"),
            h("pre", {}, pretty(item.rawOutput))) : null);
      case "permission": {
        const answered = item.outcome;
        const chosen = answered?.optionId ? item.options.find(o => o.optionId === answered.optionId)?.name ?? answered.optionId : null;
        return h("div.permission", { role: answered ? "group" : "alertdialog", "aria-label": `Permission: ${item.title}` },
          h("div.who", {}, "Permission"), h("p", {}, item.title),
          answered
            ? h("p.muted", {}, answered.outcome === "selected" ? `Answered: ${chosen} (by ${answered.by ?? "user"})` : `Cancelled (${answered.by ?? ""})`)
            : h("div.row", {}, item.options.map(o => h(`button.opt.${o.kind.startsWith("allow") ? "primary" : "danger"}`,
              { type: "button", dataset: { optionId: o.optionId, kind: o.kind }, onclick: (ev: Event) => this.answer(item.requestId, o.optionId, ev) }, o.name))));
      }
      case "turn_end":
        return h("div.turn-end", {}, item.stopReason === "end_turn" ? "" : `turn ended: ${item.stopReason}`);
      case "state":
        return h(`div.agent-state.st-${item.state}`, {}, `agent ${item.state}`, item.reason ? `: ${item.reason}` : "",
          item.stderr?.length ? h("details", {}, h("summary", {}, "stderr"), h("pre", {}, item.stderr.join("\n"))) : null);
      case "error":
        return h("div.error", { role: "note" }, item.message);
      case "terminal":
        // Shown inside the tool card that embeds it; on its own only when none does.
        return item.embedded ? h("div.terminal-ref", { hidden: true })
          : h("div.tool.agent-terminal", {}, h("div.tool-head", {}, h("span.badge", {}, "terminal"),
            h("span.title", {}, "Agent terminal")), terminalBlock(item.terminalId, this.view, this.liveTerms));
      case "other":
        return h("details.other", {}, h("summary", {}, item.label), h("pre", {}, pretty(item.data)));
    }
  }

  /** Terminals embedded in tool cards whose command has not ended yet, while the turn runs. */
  private waitingTerminals(): string[] {
    if (!this.view.running) return [];
    const ids = new Set<string>();
    for (const i of this.view.items) {
      if (i.kind !== "tool") continue;
      for (const c of i.content) if (c?.type === "terminal" && !this.view.terminals[c.terminalId]) ids.add(String(c.terminalId));
    }
    return [...ids];
  }

  private async pollTerminals() {
    this.livePoll = null;
    if (this.closed) return;
    const waiting = this.waitingTerminals();
    if (!waiting.length) return;
    try {
      const live = await get<any[]>(`/api/v1/sessions/${enc(this.sid)}/terminals`);
      this.liveTerms = Object.fromEntries(live.map(t => [t.terminalId, t]));
      for (const id of waiting) {
        const t = this.liveTerms[id];
        const el = this.conv.querySelector(`.agent-term[data-terminal-id="${CSS.escape(id)}"] pre.tool-out`);
        if (t && el && !this.view.terminals[id]) { el.textContent = t.output || "(no output yet)"; el.classList.remove("muted"); }
      }
    } catch { /* the next render tries again */ }
    if (!this.closed && this.waitingTerminals().length) this.livePoll = setTimeout(() => this.pollTerminals(), 1500);
  }

  private async answer(requestId: string, optionId: string, ev: Event) {
    (ev.target as HTMLButtonElement).disabled = true;
    try { await post(`/api/v1/sessions/${enc(this.sid)}/permissions/${enc(requestId)}`, { optionId }); }
    catch (e) { this.status.textContent = (e as Error).message; (ev.target as HTMLButtonElement).disabled = false; }
  }

  private renderSide() {
    const v = this.view, s = this.session ?? {};
    const modes = s.modes?.availableModes as any[] | undefined;
    const modeId = this.chosenMode ?? v.modeId ?? s.modes?.currentModeId ?? s.modeId;
    const configs = (this.chosenConfig ?? v.configOptions ?? s.configOptions ?? []) as any[];
    // A "model" config option is the model selector; "models" is for agents without one (session/set_model).
    const models = configs.some(c => c.id === "model") ? [] : (s.models?.availableModels ?? []) as any[];
    const modelId = s.models?.currentModelId ?? s.model;
    const active = document.activeElement;
    if (active instanceof HTMLSelectElement && this.side.contains(active)) return; // do not close an open picker
    clear(this.side,
      h("h2", {}, "Session"),
      h("p.small", {}, `${s.agent ?? ""} · agent ${v.agentState ?? s.state ?? "…"}`, v.running ? " · working…" : ""),
      v.title ? h("p.small", {}, v.title) : null,
      modes?.length ? h("div.field", {}, h("label", { for: "mode-select" }, "Mode"),
        h("select#mode-select", { onchange: (ev: Event) => this.setMode((ev.target as HTMLSelectElement).value) },
          modes.map(m => h("option", { value: m.id, selected: m.id === modeId, title: m.description ?? "" }, m.name ?? m.id)))) : null,
      models.length ? h("div.field", {}, h("label", { for: "model-select" }, "Model"),
        h("select#model-select", { onchange: (ev: Event) => this.setModel((ev.target as HTMLSelectElement).value) },
          models.map(m => h("option", { value: m.modelId, selected: m.modelId === modelId, title: m.description ?? "" }, m.name ?? m.modelId)))) : null,
      configs.filter(c => Array.isArray(c.options)).map(c => h("div.field", {},
        h("label", { for: `cfg-${c.id}` }, c.name ?? c.id),
        h("select", { id: `cfg-${c.id}`, onchange: (ev: Event) => this.setConfig(c.id, (ev.target as HTMLSelectElement).value) },
          flatOptions(c.options).map(o => h("option", { value: o.value, selected: o.value === c.currentValue }, o.name ?? o.value))))),
      v.plan.length ? [h("h3", {}, "Plan"), h("ol.plan", {}, v.plan.map(p =>
        h(`li.plan-${p.status ?? "pending"}`, {}, h("span.badge", {}, p.status ?? "pending"), " ", p.content)))] : null,
      v.usage ? [h("h3", {}, "Usage"), h("p.small#usage", {}, usageText(v.usage))] : null);
  }

  private async setMode(modeId: string) {
    try { await post(`/api/v1/sessions/${enc(this.sid)}/mode`, { modeId }); this.chosenMode = modeId; this.refreshSession(); }
    catch (e) { this.status.textContent = (e as Error).message; this.schedule(); }
  }

  private async setConfig(configId: string, value: string) {
    try {
      const r = await post(`/api/v1/sessions/${enc(this.sid)}/config`, { configId, value });
      if (Array.isArray(r?.configOptions)) this.chosenConfig = r.configOptions;
      this.refreshSession();
    } catch (e) { this.status.textContent = (e as Error).message; this.schedule(); }
  }

  private async setModel(modelId: string) {
    try { this.session = await post(`/api/v1/sessions/${enc(this.sid)}/model`, { modelId }); this.schedule(); }
    catch (e) { this.status.textContent = (e as Error).message; this.refreshSession(); }
  }
}

/**
 * An edit whose updates carry no ACP diff: the proposed change from its input (a whole-file write, or an
 * old/new string replacement), as agents such as opencode send it.
 */
function inputDiff(item: Extract<Item, { kind: "tool" }>): HTMLElement | null {
  if (item.toolKind !== "edit" || item.content.some(c => c?.type === "diff")) return null;
  const i = item.rawInput ?? {};
  const path = i.filePath ?? i.file_path ?? i.path ?? item.locations[0]?.path;
  const newText = i.content ?? i.newString ?? i.new_string ?? i.newText;
  if (typeof path !== "string" || typeof newText !== "string") return null;
  const oldText = i.oldString ?? i.old_string ?? i.oldText ?? null;
  return toolContent({ type: "diff", path, oldText, newText });
}

function flatOptions(options: any[]): { value: string; name?: string }[] {
  return options.flatMap(o => Array.isArray(o.options) ? o.options : [o]);
}

function usageText(u: any): string {
  const parts: string[] = [];
  if (u.used != null && u.size != null) parts.push(`context ${u.used.toLocaleString()} / ${u.size.toLocaleString()} tokens`);
  if (u.cost?.amount != null) parts.push(`cost ${u.cost.amount} ${u.cost.currency ?? ""}`);
  return parts.length ? parts.join(" · ") : pretty(u);
}

function pretty(x: any): string {
  return typeof x === "string" ? x : JSON.stringify(x, null, 2);
}

/** An agent terminal's command and output (from its terminal_exit event), or a note while it runs. */
function terminalBlock(terminalId: string, view: View | null, live: Record<string, any> = {}): HTMLElement {
  const t: TerminalRecord | undefined = view?.terminals[terminalId];
  if (!t) {
    const now = live[terminalId];
    return h("div.agent-term", { dataset: { terminalId } },
      h("div.diff-head", {}, h("code", {}, `terminal ${terminalId}`), h("span.badge.st-in_progress", {}, view?.running ? "running" : "no record")),
      now ? h("pre.tool-out", {}, now.output || "(no output yet)")
        : h("pre.tool-out.muted", {}, view?.running ? "(waiting for output)" : "(no output recorded)"));
  }
  const st = t.exitStatus;
  const ended = st?.signal ? `killed (${st.signal})` : st?.exitCode != null ? `exit ${st.exitCode}` : "ended";
  return h("div.agent-term", { dataset: { terminalId } },
    h("div.diff-head", {}, h("code", {}, `$ ${[t.command, ...t.args].join(" ")}`),
      h(`span.badge.${st?.exitCode === 0 ? "st-completed" : "st-failed"}`, {}, ended),
      t.truncated ? h("span.badge", { title: "the oldest output was dropped" }, "truncated") : null),
    h("pre.tool-out", {}, t.output || "(no output)"));
}

function toolContent(c: any, view: View | null = null, live: Record<string, any> = {}): HTMLElement {
  if (c?.type === "diff") {
    const lines = diffLines(c.oldText, String(c.newText ?? ""));
    return h("div.diff", { dataset: { path: c.path } },
      h("div.diff-head", {}, h("code", {}, c.path ?? ""), c.oldText == null ? h("span.badge", {}, "new file") : null),
      h("pre", {}, lines.map(l => h(`span.dl.d${l.op === "+" ? "add" : l.op === "-" ? "del" : "ctx"}`, {}, `${l.op} ${l.text}\n`))));
  }
  if (c?.type === "content" && c.content?.type === "text") return h("pre.tool-out", {}, c.content.text);
  if (c?.type === "terminal") return terminalBlock(String(c.terminalId), view, live);
  return h("details.other", {}, h("summary", {}, String(c?.type ?? "content")), h("pre", {}, pretty(c)));
}
