import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import { del, enc, get, post, wsUrl } from "./api";
import { clear, h } from "./dom";

/**
 * Terminal tabs (docs/terminals.md): the daemon keeps the tabs (GET …/terminals), each tab's socket asks for
 * {@code ?offset=} the bytes it has, so reconnects (network, daemon restart) neither lose nor repeat output.
 */
export function terminalView(pane: HTMLElement, w: any) {
  const base = `/api/v1/workspaces/${enc(w.id)}/terminals`;
  const selKey = `corral.terminal.${w.id}`;
  const tabBar = h("div.tabs#terminal-tabs", { role: "tablist", "aria-label": "terminals" });
  const add = h("button.tab-add#new-terminal", { type: "button", title: "New terminal", "aria-label": "New terminal" }, "+");
  const status = h("p.status#terminal-status", { role: "status", "aria-live": "polite" });
  const stage = h("div.term-stage");
  clear(pane, h("div.tab-row", {}, tabBar, add), status, stage);
  const tabs: Tab[] = [];
  let active: Tab | null = null;
  let loaded: Promise<void>;
  let disposed = false;
  let ensured = false;

  const select = (t: Tab) => {
    active = t;
    localStorage.setItem(selKey, t.rec.terminalId);
    for (const x of tabs) {
      x.host.hidden = x !== t;
      x.tabButton.setAttribute("aria-selected", String(x === t));
      x.tabButton.tabIndex = x === t ? 0 : -1;
    }
    t.shown();
  };
  const renderTabs = () => clear(tabBar, tabs.map(t => t.tabEl));
  const addTab = (rec: any) => {
    // The list loaded at start may arrive after a tab the user opened meanwhile: never show one twice.
    const known = tabs.find(x => x.rec.terminalId === rec.terminalId);
    if (known) return known;
    const t = new Tab(rec, base, stage, {
      select: () => select(t),
      close: async () => {
        try { await del(`${base}/${enc(rec.terminalId)}`); } catch (e) { status.textContent = (e as Error).message; }
        t.dispose();
        tabs.splice(tabs.indexOf(t), 1);
        renderTabs();
        if (active === t) { active = null; if (tabs.length) select(tabs[tabs.length - 1]); }
      },
      status: (s: string) => { status.textContent = s; },
    });
    tabs.push(t);
    renderTabs();
    return t;
  };
  const create = async () => {
    await loaded; // the tabs that exist first, so a late list does not redraw the bar under a new tab's rename
    const size = active?.size() ?? { cols: 100, rows: 30 };
    try {
      const rec = await post(base, size);
      select(addTab(rec));
      active?.focus();
    } catch (e) { status.textContent = (e as Error).message; }
  };
  add.addEventListener("click", create);
  tabBar.addEventListener("keydown", (ev: KeyboardEvent) => {
    const i = active ? tabs.indexOf(active) : -1;
    if (ev.key === "ArrowRight" && i >= 0 && tabs.length) { select(tabs[(i + 1) % tabs.length]); active?.tabButton.focus(); }
    if (ev.key === "ArrowLeft" && i >= 0 && tabs.length) { select(tabs[(i - 1 + tabs.length) % tabs.length]); active?.tabButton.focus(); }
  });

  loaded = (async () => {
    try {
      const recs = await get<any[]>(base);
      if (disposed) return;
      recs.forEach(addTab);
      const want = localStorage.getItem(selKey);
      const t = tabs.find(x => x.rec.terminalId === want) ?? tabs[tabs.length - 1];
      if (t) select(t);
      else clear(stage, h("p.muted.empty", {}, w.state === "running" ? "No terminal open: press + to open one." : "The workspace is not running."));
    } catch (e) { status.textContent = (e as Error).message; }
  })();

  const onResize = () => active?.shown();
  window.addEventListener("resize", onResize);
  return {
    shown: () => { loaded.then(() => active?.shown()); },
    ensureOne: () => {
      // Called by every report of the failure; one tab is enough.
      if (ensured) return;
      ensured = true;
      loaded.then(() => { if (!tabs.length && w.state === "running") create(); });
    },
    dispose: () => { disposed = true; window.removeEventListener("resize", onResize); tabs.forEach(t => t.dispose()); },
  };
}

interface TabHooks { select(): void; close(): void; status(s: string): void }

class Tab {
  readonly host: HTMLElement;
  readonly tabEl: HTMLElement;
  readonly tabButton: HTMLButtonElement;
  private term: Terminal;
  private fit = new FitAddon();
  private ws: WebSocket | null = null;
  private received = 0;
  private opened = false;
  private ended = false;
  private disposed = false;
  private backoff = 250;
  private retry: ReturnType<typeof setTimeout> | null = null;

  constructor(public rec: any, private base: string, stage: HTMLElement, private hooks: TabHooks) {
    this.host = h("div.term-host", { hidden: true, dataset: { terminalId: rec.terminalId } });
    stage.querySelector(".empty")?.remove();
    stage.append(this.host);
    this.tabButton = h("button.tab-title", { type: "button", role: "tab", dataset: { terminalId: rec.terminalId },
      title: "Double-click or F2 to rename", onclick: () => hooks.select() }, rec.title);
    this.tabButton.addEventListener("dblclick", () => this.rename());
    this.tabButton.addEventListener("keydown", ev => { if (ev.key === "F2") this.rename(); });
    this.tabEl = h("span.tab", {}, this.tabButton,
      h("button.tab-close", { type: "button", "aria-label": `Close ${rec.title}`, title: "Close", onclick: () => hooks.close() }, "×"));
    const dark = matchMedia("(prefers-color-scheme: dark)").matches;
    this.term = new Terminal({ cursorBlink: true, fontSize: 13, scrollback: 5000, convertEol: false,
      fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
      theme: dark ? { background: "#111418", foreground: "#d8dee9" } : { background: "#fbfbfb", foreground: "#1d2330", cursor: "#1d2330", selectionBackground: "#b4d5fe" } });
    this.term.loadAddon(this.fit);
    const encoder = new TextEncoder();
    this.term.onData(d => { if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(encoder.encode(d)); });
    this.term.onResize(({ cols, rows }) => {
      if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: "resize", cols, rows }));
    });
  }

  /** Called when the tab becomes visible or the window is resized: open once, then fit. */
  shown() {
    if (!this.opened) {
      this.opened = true;
      this.term.open(this.host);
      this.connect();
    }
    if (this.host.clientWidth > 0) { try { this.fit.fit(); } catch { /* not laid out yet */ } }
    this.focus();
  }

  /** Focuses the terminal, unless a tab is being renamed (taking the focus would end the rename). */
  focus() {
    if (document.activeElement?.classList.contains("tab-rename")) return;
    this.term.focus();
  }

  size() { return { cols: this.term.cols, rows: this.term.rows }; }

  private connect() {
    if (this.disposed || this.ended) return;
    const ws = new WebSocket(wsUrl(`${this.base}/${enc(this.rec.terminalId)}?offset=${this.received}`));
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => {
      this.backoff = 250;
      this.hooks.status("");
      ws.send(JSON.stringify({ type: "resize", cols: this.term.cols, rows: this.term.rows }));
    };
    ws.onmessage = ev => {
      if (this.ws !== ws) return; // a socket given up on
      if (typeof ev.data === "string") {
        let m: any;
        try { m = JSON.parse(ev.data); } catch { return; }
        if (m.type === "replay") {
          if (m.from < this.received) {
            // Less than we had: a new shell behind the same tab (the workspace restarted). Start over from its start.
            this.received = 0;
            this.term.reset();
            ws.close();
            this.ws = null;
            this.connect();
            return;
          }
          if (m.from > this.received) this.term.reset(); // a gap: what we show would not match
          this.received = m.from;
        } else if (m.type === "exit") {
          this.ended = true;
          this.term.write(`\r\n\x1b[2m[exited with code ${m.code}]\x1b[0m\r\n`);
        }
        return;
      }
      const bytes = new Uint8Array(ev.data as ArrayBuffer);
      this.received += bytes.byteLength;
      this.term.write(bytes);
    };
    ws.onclose = ev => {
      if (this.disposed || this.ws !== ws) return;
      if (ev.code === 1000 || this.ended) { this.ended = true; return; }
      if (ev.code === 4404) { this.ended = true; this.term.write("\r\n\x1b[2m[this terminal is gone]\x1b[0m\r\n"); return; }
      if (ev.code === 4409) { this.hooks.status("The workspace is not running."); return; }
      this.hooks.status("Terminal reconnecting…");
      this.retry = setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 5000);
    };
  }

  private rename() {
    const input = h("input.tab-rename", { value: this.rec.title, "aria-label": "terminal name" });
    let finished = false;
    const done = async (save: boolean) => {
      // replaceWith blurs the input, which would call this again.
      if (finished) return;
      finished = true;
      const title = input.value.trim();
      input.replaceWith(this.tabButton);
      this.tabButton.focus();
      if (!save || !title || title === this.rec.title) return;
      try {
        this.rec = await post(`${this.base}/${enc(this.rec.terminalId)}`, { title });
        this.tabButton.textContent = this.rec.title;
      } catch (e) { this.hooks.status((e as Error).message); }
    };
    input.addEventListener("keydown", ev => {
      if (ev.key === "Enter") { ev.preventDefault(); done(true); }
      if (ev.key === "Escape") done(false);
    });
    input.addEventListener("blur", () => done(true));
    this.tabButton.replaceWith(input);
    input.focus();
    input.select();
  }

  dispose() {
    this.disposed = true;
    if (this.retry) clearTimeout(this.retry);
    this.ws?.close();
    this.term.dispose();
    this.host.remove();
  }
}
