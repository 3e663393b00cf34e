import { del, enc, get, put } from "./api";
import { clear, h } from "./dom";
import { navigate } from "./main";
import { agentsWithKeys, type Agent, type Credential } from "./workspaces";

/** A card per agent: its key (masked), save/replace/remove. */
export function settingsPage(main: HTMLElement, params: URLSearchParams): () => void {
  const status = h("p.status", { role: "status", "aria-live": "polite" });
  const cards = h("div.cards");
  const focus = params.get("agent");
  clear(main, h("h1", {}, "Settings"),
    focus ? h("p.notice", {}, `Set a key for ${focus} first, then create the workspace.`) : null,
    status, h("h2", {}, "Agent keys"), cards);
  const load = async () => {
    try {
      const { agents, keys } = await agentsWithKeys();
      clear(cards, agents.map(a => card(a, keys.get(a.id), status, load, params)));
      if (focus) (document.querySelector(`[data-agent="${CSS.escape(focus)}"] input`) as HTMLElement | null)?.focus();
    } catch (e) {
      status.textContent = (e as Error).message;
    }
  };
  load();
  return () => {};
}

function card(a: Agent, cred: Credential | undefined, status: HTMLElement, reload: () => void, params: URLSearchParams) {
  const set = cred && Object.keys(cred.env).length > 0;
  const inputs = a.credentialEnv.map(v => h("input", { id: `key-${a.id}-${v}`, name: v, type: "password",
    autocomplete: "off", placeholder: cred?.env[v] ? `replace ${cred.env[v]}` : "not set" }));
  const save = async (ev: Event) => {
    ev.preventDefault();
    const env: Record<string, string> = {};
    inputs.forEach(i => { if (i.value.trim()) env[i.name] = i.value.trim(); });
    if (!Object.keys(env).length) { status.textContent = `Enter a value for ${a.credentialEnv.join(" or ")}.`; return; }
    // PUT replaces the record: keep the variables not typed again out of it only if the user cleared them all.
    try {
      await put(`/api/v1/credentials/${enc(a.id)}`, { env });
      status.textContent = `Saved the key of ${a.name}.`;
      if (params.get("agent") === a.id && params.get("next") === "create") { navigate("#/"); return; }
      reload();
    } catch (e) { status.textContent = (e as Error).message; }
  };
  const remove = async () => {
    let running: any[] = [];
    try { running = (await get<any[]>("/api/v1/workspaces")).filter(w => w.agent === a.id && w.state === "running"); } catch { /* still ask */ }
    const warn = running.length ? `\n\nRunning workspaces use it: ${running.map(w => w.name).join(", ")}.` : "";
    if (!confirm(`Remove the key of ${a.name}?${warn}`)) return;
    try {
      const r = await del(`/api/v1/credentials/${enc(a.id)}`);
      const ws = (r?.runningWorkspaces ?? []) as any[];
      status.textContent = `Removed the key of ${a.name}.` +
        (ws.length ? ` Still running with it: ${ws.map(w => w.name).join(", ")} (they keep it until restarted).` : "");
      reload();
    } catch (e) { status.textContent = (e as Error).message; }
  };
  return h("form.card.agent-card", { dataset: { agent: a.id }, onsubmit: save, "aria-label": a.name },
    h("h3", {}, a.name, " ", h("span.muted.small", {}, a.version)),
    h("p.muted.small", {}, a.description),
    h("p", {}, a.credentialEnv.length === 0 ? h("span.ok", {}, "Needs no key.")
      : set ? h("span.ok.key-status", {}, "Key set: ", Object.entries(cred!.env).map(([k, v]) => `${k}=${v}`).join(", "))
        : h("span.warn.key-status", {}, "No key set."),
      a.installed ? h("span.muted.small", {}, " · installed") : h("span.muted.small", {}, " · installed on first use")),
    a.credentialEnv.length ? [
      a.credentialEnv.map((v, i) => h("div.field", {}, h("label", { for: inputs[i].id }, v), inputs[i])),
      h("div.row", {},
        h("button.primary", { type: "submit" }, set ? "Replace key" : "Save key"),
        set ? h("button", { type: "button", onclick: remove }, "Remove key") : null)] : null);
}
