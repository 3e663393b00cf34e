import { del, enc, get, post } from "./api";
import { ago, clear, h } from "./dom";

/**
 * Listening ports and previews of a running workspace (SPEC §4 "Previews", docs/api.md): the ports inside the sandbox
 * (GET …/ports, refreshed every 5 s while the panel is open), a Preview button per port that grants a preview URL
 * (POST …/previews) and opens it in a new tab, and the granted previews with copy and revoke.
 */
export function portsPanel(w: any): { el: HTMLElement; dispose(): void } {
  const base = `/api/v1/workspaces/${enc(w.id)}`;
  const openKey = `corral.ports.${w.id}`;
  const portsBody = h("div#ports-list");
  const previewsBody = h("div#previews-list");
  const status = h("p.status#ports-status", { role: "status", "aria-live": "polite" });
  const refreshBtn = h("button#ports-refresh", { type: "button", title: "Look for listening ports now" }, "Refresh");
  const count = h("span.muted#ports-count");
  const panel = h("details.card.ports#ports-panel", { open: localStorage.getItem(openKey) === "open" },
    h("summary", {}, "Ports and previews ", count),
    h("div.ports-grid", {},
      h("section", { "aria-label": "listening ports" }, h("h3", {}, "Listening ports ", refreshBtn), portsBody),
      h("section", { "aria-label": "previews" }, h("h3", {}, "Previews"), previewsBody)),
    status);
  let disposed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const refresh = async () => {
    clearTimeout(timer);
    if (disposed) return;
    try {
      const [ports, previews] = await Promise.all([get<any[]>(`${base}/ports`), get<any[]>(`${base}/previews`)]);
      if (disposed) return;
      count.textContent = `(${ports.length} listening${previews.length ? `, ${previews.length} shared` : ""})`;
      clear(portsBody, ports.length
        ? h("table.list.ports-table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Port"), h("th", {}, "Address"), h("th", {}, "Process"), h("th", {}))),
          h("tbody", {}, ports.sort((a, b) => a.port - b.port).map(p => h("tr", { dataset: { port: String(p.port) } },
            h("td", {}, h("code", {}, String(p.port))), h("td", {}, p.address ?? ""), h("td.muted", {}, p.process ?? ""),
            h("td.actions", {}, h("button.primary.preview-port", { type: "button", dataset: { port: String(p.port) },
              onclick: (ev: Event) => preview(p.port, ev.target as HTMLButtonElement) }, "Preview"))))))
        : h("p.muted.small", {}, "Nothing listens inside the sandbox yet (start a server, e.g. in a terminal)."));
      clear(previewsBody, previews.length
        ? h("ul.previews", {}, previews.map(pv => h("li", { dataset: { previewId: pv.id, port: String(pv.port) } },
            h("code", {}, String(pv.port)), " ",
            h("a.preview-url", { href: pv.url, target: "_blank", rel: "noopener" }, pv.url), " ",
            h("span.muted.small", {}, `expires ${new Date(pv.expiresAt).toLocaleString()} · made ${ago(pv.createdAt)}`), " ",
            h("button.copy-preview", { type: "button", onclick: (ev: Event) => copy(pv.url, ev.target as HTMLButtonElement) }, "Copy"), " ",
            h("button.danger.revoke-preview", { type: "button", onclick: () => revoke(pv.id) }, "Revoke"))))
        : h("p.muted.small", {}, "No preview URL shared. A preview URL needs no token: anyone who has it reaches that port until it expires or is revoked."));
      status.textContent = "";
    } catch (e) {
      status.textContent = (e as Error).message;
    }
    if (panel.open && !disposed) timer = setTimeout(refresh, 5000);
  };

  const preview = async (port: number, btn: HTMLButtonElement) => {
    btn.disabled = true;
    try {
      const pv = await post(`${base}/previews`, { port });
      window.open(pv.url, "_blank", "noopener");
      status.textContent = `Preview of port ${port} opened in a new tab.`;
      await refresh();
    } catch (e) {
      status.textContent = (e as Error).message;
    } finally {
      btn.disabled = false;
    }
  };
  const copy = async (url: string, btn: HTMLButtonElement) => {
    try {
      await navigator.clipboard.writeText(url);
      btn.textContent = "Copied";
      setTimeout(() => { btn.textContent = "Copy"; }, 1500);
    } catch {
      status.textContent = `Copy this address: ${url}`;
    }
  };
  const revoke = async (id: string) => {
    if (!confirm("Revoke this preview URL? It stops working at once.")) return;
    try { await del(`${base}/previews/${enc(id)}`); status.textContent = "Preview revoked."; }
    catch (e) { status.textContent = (e as Error).message; }
    await refresh();
  };

  refreshBtn.addEventListener("click", ev => { ev.preventDefault(); refresh(); });
  panel.addEventListener("toggle", () => {
    localStorage.setItem(openKey, panel.open ? "open" : "closed");
    if (panel.open) refresh(); else clearTimeout(timer);
  });
  refresh();
  return { el: panel, dispose: () => { disposed = true; clearTimeout(timer); } };
}
