import { enc, get, post } from "./api";
import { clear, h } from "./dom";
import { agentView } from "./agent";
import { terminalView } from "./terminal";
import { portsPanel } from "./ports";

export type ViewName = "agent" | "terminal";

/** What the agent and terminal views may ask of the page. */
export interface WorkspaceShell {
  workspace: any;
  show(view: ViewName): void;
  /** Shows the terminal with a banner saying why the agent cannot start. */
  agentFailed(why: string): void;
}

/** One workspace: header, agent/terminal toggle (kept per workspace in localStorage) and the two views. */
export function workspacePage(main: HTMLElement, id: string): () => void {
  const key = `corral.view.${id}`;
  let disposed = false;
  const cleanups: (() => void)[] = [];
  const status = h("p.status", { role: "status", "aria-live": "polite" });
  clear(main, h("p.muted", {}, "Loading…"));

  (async () => {
    let w: any;
    try { w = await get(`/api/v1/workspaces/${enc(id)}`); } catch (e) { clear(main, h("p.status", {}, (e as Error).message)); return; }
    if (disposed) return;
    if (w.state === "creating") {
      clear(main, h("h1", {}, w.name), h("p.notice#creating", {}, "Creating the workspace",
        w.progress?.phase ? ` (${w.progress.phase}${w.progress.percent != null ? ` ${w.progress.percent}%` : ""})` : "", "…"));
      const again = setTimeout(() => { if (!disposed) { cleanups.splice(0).forEach(c => c()); const next = workspacePage(main, id); cleanups.push(next); } }, 1000);
      cleanups.push(() => clearTimeout(again));
      return;
    }
    const agentPane = h("section.pane#agent-pane", { "aria-label": "agent" });
    const termPane = h("section.pane#terminal-pane", { "aria-label": "terminal" });
    const banner = h("div.banner#agent-banner", { role: "alert", hidden: true });
    const tabAgent = h("button#show-agent", { type: "button", role: "tab", onclick: () => shell.show("agent") }, "Agent");
    const tabTerm = h("button#show-terminal", { type: "button", role: "tab", onclick: () => shell.show("terminal") }, "Terminal");
    let term: ReturnType<typeof terminalView> | null = null;
    const shell: WorkspaceShell = {
      workspace: w,
      show(view) {
        localStorage.setItem(key, view);
        agentPane.hidden = view !== "agent";
        termPane.hidden = view !== "terminal";
        tabAgent.setAttribute("aria-selected", String(view === "agent"));
        tabTerm.setAttribute("aria-selected", String(view === "terminal"));
        if (view === "agent") {
          const conv = agentPane.querySelector(".conversation");
          if (conv) conv.scrollTop = conv.scrollHeight; // it could not scroll while hidden
        }
        if (view === "terminal") {
          if (!term) { term = terminalView(termPane, w); cleanups.push(() => term!.dispose()); }
          term.shown();
        }
      },
      agentFailed(why) {
        clear(banner, h("strong", {}, "The agent cannot start. "), why.replace(/\s*$/, /[.!?]$/.test(why.trim()) ? "" : "."),
          " You can investigate in this terminal.");
        banner.hidden = false;
        shell.show("terminal");
        term?.ensureOne();
      },
    };
    const resume = async (ev: Event) => {
      (ev.target as HTMLButtonElement).disabled = true;
      try {
        await post(`/api/v1/workspaces/${enc(id)}/resume`);
        // Draw the page again for the new state (it polls while "creating").
        cleanups.splice(0).forEach(c => c());
        cleanups.push(workspacePage(main, id));
      } catch (e) {
        status.textContent = (e as Error).message;
        (ev.target as HTMLButtonElement).disabled = false;
      }
    };
    const ports = w.state === "running" ? portsPanel(w) : null;
    if (ports) cleanups.push(ports.dispose);
    clear(main,
      h("div.ws-head", {},
        h("h1", {}, w.name),
        h(`span.state.state-${w.state}`, {}, w.state),
        w.agent ? h("span.muted", {}, ` agent: ${w.agent}`) : null,
        h("div.toggle", { role: "tablist", "aria-label": "view" }, tabAgent, tabTerm)),
      w.state !== "running" ? h("p.notice#not-running", {}, `This workspace is ${w.state}${w.stateReason ? `: ${w.stateReason}` : ""}. `,
        w.state === "stopped" || w.state === "failed" ? h("button#resume-workspace", { type: "button", onclick: resume }, "Resume") : null) : null,
      ports?.el, status, banner, agentPane, termPane);
    cleanups.push(agentView(agentPane, shell));
    shell.show((localStorage.getItem(key) as ViewName) ?? "agent");
  })();
  return () => { disposed = true; cleanups.forEach(c => c()); };
}
