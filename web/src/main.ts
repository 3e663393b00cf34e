import "./style.css";
import "@xterm/xterm/css/xterm.css";
import { setUnauthorizedHandler } from "./api";
import { clear, h } from "./dom";
import { workspacesPage } from "./workspaces";
import { settingsPage } from "./settings";
import { workspacePage } from "./workspace";

/** Hash routes: #/ (workspaces), #/settings, #/w/<id>. A page returns a cleanup function run when it is left. */
const app = document.getElementById("app")!;
let cleanup: (() => void) | null = null;
let loggedOut = false;

export function navigate(hash: string) {
  if (location.hash === hash) route(); else location.hash = hash;
}

function route() {
  if (loggedOut) return;
  cleanup?.();
  cleanup = null;
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query ?? "");
  const main = h("main#page", {});
  clear(app, header(path), main);
  const ws = /^\/w\/([^/]+)$/.exec(path);
  if (path === "/settings") cleanup = settingsPage(main, params);
  else if (ws) cleanup = workspacePage(main, decodeURIComponent(ws[1]));
  else cleanup = workspacesPage(main);
}

function header(path: string) {
  const link = (href: string, text: string, active: boolean) =>
    h("a", { href, "aria-current": active ? "page" : undefined }, text);
  return h("header.top", {},
    h("a.brand", { href: "#/" }, "Corral"),
    h("nav", { "aria-label": "main" },
      link("#/", "Workspaces", path === "/" || path.startsWith("/w/")),
      link("#/settings", "Settings", path === "/settings")));
}

function login() {
  if (loggedOut) return;
  loggedOut = true;
  cleanup?.();
  cleanup = null;
  clear(app, h("main.login", {},
    h("h1", {}, "Corral"),
    h("p", {}, "Open the address that ", h("code", {}, "corral serve"), " printed, or paste the token that ",
      h("code", {}, "corral token"), " prints:"),
    // A plain GET to /?token=…: the daemon sets the HttpOnly cookie and redirects back here.
    h("form", { method: "get", action: "/" },
      h("label", { for: "token" }, "Token"),
      h("input#token", { name: "token", type: "password", autocomplete: "off", required: true, autofocus: true }),
      h("button.primary", { type: "submit" }, "Sign in"))));
}

setUnauthorizedHandler(login);
window.addEventListener("hashchange", route);
route();
