import { ApiError, del, enc, get, post } from "./api";
import { ago, clear, h } from "./dom";
import { navigate } from "./main";

export interface Agent { id: string; name: string; version: string; description: string; installed: boolean;
  credentialEnv: string[]; egress: string[] }
export interface Credential { agentId: string; env: Record<string, string>; updatedAt?: string }

export async function agentsWithKeys(): Promise<{ agents: Agent[]; keys: Map<string, Credential> }> {
  const [agents, creds] = await Promise.all([get<Agent[]>("/api/v1/agents"), get<Credential[]>("/api/v1/credentials")]);
  return { agents, keys: new Map(creds.map(c => [c.agentId, c])) };
}

export function hasKey(a: Agent, keys: Map<string, Credential>): boolean {
  return a.credentialEnv.length === 0 || Object.keys(keys.get(a.id)?.env ?? {}).length > 0;
}

/** The workspace list (refreshed every few seconds) and the create form. */
export function workspacesPage(main: HTMLElement): () => void {
  const list = h("section.card", { "aria-label": "workspaces" }, h("p.muted", {}, "Loading…"));
  const status = h("p.status", { role: "status", "aria-live": "polite" });
  const form = createForm(status);
  clear(main, h("h1", {}, "Workspaces"), status, list, form);
  let stopped = false;
  const refresh = async () => {
    try {
      const ws = await get<any[]>("/api/v1/workspaces");
      if (!stopped) renderList(list, ws, refresh, status);
    } catch (e) {
      if (!stopped) status.textContent = (e as Error).message;
    }
  };
  refresh();
  const timer = setInterval(refresh, 3000);
  return () => { stopped = true; clearInterval(timer); };
}

function renderList(list: HTMLElement, ws: any[], refresh: () => void, status: HTMLElement) {
  if (!ws.length) { clear(list, h("p.muted", {}, "No workspaces yet. Create one below.")); return; }
  const act = (label: string, f: () => Promise<unknown>) => h("button", { type: "button", onclick: async () => {
    try { await f(); refresh(); } catch (e) { status.textContent = (e as Error).message; }
  } }, label);
  clear(list, h("table.list", {},
    h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "State"), h("th", {}, "Agent"),
      h("th", {}, "Source"), h("th", {}, "Last activity"), h("th", {}, h("span.sr", {}, "Actions")))),
    h("tbody", {}, ws.map(w => h("tr", { dataset: { id: w.id, name: w.name } },
      h("td", {}, h("a", { href: `#/w/${enc(w.id)}` }, w.name)),
      h("td", {}, h(`span.state.state-${w.state}`, { title: w.stateReason ?? "" }, w.state),
        w.progress && w.state === "creating" ? ` ${w.progress.phase ?? ""} ${w.progress.percent ?? ""}%` : "",
        w.stateReason && w.state === "failed" ? h("div.muted.small", {}, w.stateReason) : null),
      h("td", {}, w.agent ?? "—"),
      h("td.small", {}, w.repo ?? w.path ?? "empty", w.ref ? ` @ ${w.ref}` : ""),
      h("td", { title: w.updatedAt ?? "" }, ago(w.updatedAt ?? w.createdAt)),
      h("td.actions", {},
        w.state === "running" ? act("Stop", () => post(`/api/v1/workspaces/${enc(w.id)}/stop`)) : null,
        w.state === "stopped" || w.state === "failed" ? act("Resume", () => post(`/api/v1/workspaces/${enc(w.id)}/resume`)) : null,
        act("Delete", async () => {
          if (!confirm(`Delete workspace ${w.name}? Its checkout and home are removed.`)) return;
          await del(`/api/v1/workspaces/${enc(w.id)}`);
        })))))));
}

const DRAFT = "corral.createDraft";

function createForm(status: HTMLElement): HTMLElement {
  const agentSel = h("select#agent", { name: "agent" }, h("option", { value: "" }, "(none)"));
  const agentInfo = h("p.muted.small#agent-info", { "aria-live": "polite" });
  let agents: Agent[] = [];
  let keys = new Map<string, Credential>();
  const showInfo = () => {
    const a = agents.find(x => x.id === agentSel.value);
    clear(agentInfo, a ? [a.description, " ", hasKey(a, keys)
      ? h("span.ok", {}, "Key set.")
      : h("span.warn", {}, `No key yet (${a.credentialEnv.join(" or ")}): you will be sent to Settings.`)] : "");
  };
  agentSel.addEventListener("change", showInfo);
  agentsWithKeys().then(r => {
    agents = r.agents;
    keys = r.keys;
    for (const a of agents) {
      agentSel.append(h("option", { value: a.id }, `${a.name} ${a.version}${hasKey(a, keys) ? "" : " — no key"}`));
    }
    const last = draft?.agent ?? localStorage.getItem("corral.lastAgent");
    if (last && agents.some(a => a.id === last)) agentSel.value = last;
    showInfo();
  }).catch(e => { agentInfo.textContent = (e as Error).message; });

  const field = (id: string, label: string, input: HTMLElement, hint?: string) =>
    h("div.field", {}, h("label", { for: id }, label), input, hint ? h("span.muted.small", {}, hint) : null);
  const name = h("input#name", { name: "name", placeholder: "optional" });
  const repo = h("input#repo", { name: "repo", placeholder: "https://github.com/org/repo.git or /path/to/repo" });
  const ref = h("input#ref", { name: "ref", placeholder: "branch, tag or commit (optional)" });
  const mode = h("select#network-mode", { name: "network" },
    h("option", { value: "" }, "default"), h("option", { value: "none" }, "none (loopback only)"),
    h("option", { value: "proxy" }, "proxy (allow-listed hosts)"), h("option", { value: "host" }, "host"));
  const forward = h("input#forward", { name: "forward", placeholder: "127.0.0.1:11434, …" });
  const submit = h("button.primary#create", { type: "submit" }, "Create workspace");
  const draft = JSON.parse(sessionStorage.getItem(DRAFT) ?? "null");
  sessionStorage.removeItem(DRAFT);
  if (draft) {
    name.value = draft.name ?? ""; repo.value = draft.repo ?? ""; ref.value = draft.ref ?? "";
    mode.value = draft.mode ?? ""; forward.value = draft.forward ?? "";
  }
  const form = h("form.card#create-form", { onsubmit: async (ev: Event) => {
    ev.preventDefault();
    const a = agents.find(x => x.id === agentSel.value);
    if (a && !hasKey(a, keys)) {
      // Kept for the way back from Settings.
      sessionStorage.setItem(DRAFT, JSON.stringify({ name: name.value, repo: repo.value, ref: ref.value, agent: a.id,
        mode: mode.value, forward: forward.value }));
      navigate(`#/settings?agent=${enc(a.id)}&next=create`);
      return;
    }
    const body: any = {};
    if (name.value.trim()) body.name = name.value.trim();
    const r = repo.value.trim();
    if (r) body.repo = r;
    if (ref.value.trim()) body.ref = ref.value.trim();
    if (a) body.agent = a.id;
    const fw = forward.value.split(",").map(s => s.trim()).filter(Boolean);
    if (mode.value || fw.length) body.network = { ...(mode.value ? { mode: mode.value } : {}), ...(fw.length ? { forward: fw } : {}) };
    submit.disabled = true;
    status.textContent = "Creating…";
    try {
      const w = await post("/api/v1/workspaces", body);
      if (a) localStorage.setItem("corral.lastAgent", a.id);
      status.textContent = `Created ${w.name}.`;
      navigate(`#/w/${enc(w.id)}`);
    } catch (e) {
      status.textContent = e instanceof ApiError ? `Cannot create: ${e.message}` : String(e);
    } finally {
      submit.disabled = false;
    }
  } },
  h("h2", {}, "New workspace"),
  field("repo", "Repository (git URL or local path)", repo, "Empty: an empty workspace."),
  field("ref", "Ref", ref),
  field("agent", "Agent", agentSel),
  agentInfo,
  field("name", "Name", name),
  h("details", { open: !!(draft?.mode || draft?.forward) }, h("summary", {}, "Network"),
    field("network-mode", "Mode", mode),
    field("forward", "Forward host endpoints into the sandbox", forward, "e.g. a local model server")),
  h("div.row", {}, submit));
  return form;
}
