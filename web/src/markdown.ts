/**
 * A small Markdown renderer for agent messages: fenced code (highlighted), headings, lists, quotes, paragraphs,
 * inline code, bold, italics and http(s) links. Everything is HTML-escaped first, so agent text never becomes markup.
 */

export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function renderMarkdown(src: string): string {
  const lines = src.replace(/\r\n/g, "\n").split("\n");
  const out: string[] = [];
  let para: string[] = [];
  let list: { tag: string; items: string[] } | null = null;
  const flushPara = () => {
    if (para.length) out.push(`<p>${inline(para.join("\n"))}</p>`);
    para = [];
  };
  const flushList = () => {
    if (list) out.push(`<${list.tag}>${list.items.map(i => `<li>${inline(i)}</li>`).join("")}</${list.tag}>`);
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = /^\s*```\s*([\w+#.-]*)/.exec(line);
    if (fence) {
      flushPara(); flushList();
      const code: string[] = [];
      // An unclosed fence (still streaming) runs to the end.
      while (++i < lines.length && !/^\s*```\s*$/.test(lines[i])) code.push(lines[i]);
      const lang = fence[1] || "";
      out.push(`<pre class="code"${lang ? ` data-lang="${escapeHtml(lang)}"` : ""}><code>${highlight(code.join("\n"))}</code></pre>`);
      continue;
    }
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) {
      flushPara(); flushList();
      const n = Math.min(h[1].length + 2, 6);
      out.push(`<h${n}>${inline(h[2])}</h${n}>`);
      continue;
    }
    const li = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/.exec(line);
    if (li) {
      flushPara();
      const tag = li[1] ? "ul" : "ol";
      if (list && list.tag !== tag) flushList();
      if (!list) list = { tag, items: [] };
      list.items.push(li[3]);
      continue;
    }
    const q = /^>\s?(.*)$/.exec(line);
    if (q) {
      flushPara(); flushList();
      out.push(`<blockquote>${inline(q[1])}</blockquote>`);
      continue;
    }
    if (line.trim() === "") {
      flushPara(); flushList();
      continue;
    }
    if (list) flushList();
    para.push(line);
  }
  flushPara(); flushList();
  return out.join("");
}

function inline(s: string): string {
  const parts = s.split(/(`[^`]+`)/g);
  return parts.map(p => {
    if (p.length > 1 && p.startsWith("`") && p.endsWith("`")) return `<code>${escapeHtml(p.slice(1, -1))}</code>`;
    let t = escapeHtml(p);
    t = t.replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
    t = t.replace(/(^|[^*\w])\*([^*\s][^*]*)\*(?!\w)/g, "$1<em>$2</em>");
    t = t.replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g,
      (_m, text, url) => `<a href="${url}" target="_blank" rel="noopener noreferrer">${text}</a>`);
    return t.replace(/\n/g, "<br>");
  }).join("");
}

const KEYWORDS = new Set(("if else for while do return function const let var class interface type import export from " +
  "def elif in is not and or None True False null true false new public private protected static final void int " +
  "long boolean string package fn pub use mut match impl struct enum async await try catch finally throw throws " +
  "switch case break continue default echo then fi done esac local with as lambda yield extends implements").split(" "));

/** Lightweight, language-agnostic highlighting: comments, strings, numbers and common keywords. */
export function highlight(code: string): string {
  const re = /(\/\/[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\/)|("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_][\w]*)/g;
  let out = "";
  let last = 0;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    out += escapeHtml(code.slice(last, m.index));
    const [tok, comment, str, num, word] = m;
    if (comment) out += `<span class="tok-c">${escapeHtml(tok)}</span>`;
    else if (str) out += `<span class="tok-s">${escapeHtml(tok)}</span>`;
    else if (num) out += `<span class="tok-n">${tok}</span>`;
    else if (word && KEYWORDS.has(word)) out += `<span class="tok-k">${tok}</span>`;
    else out += escapeHtml(tok);
    last = m.index + tok.length;
  }
  return out + escapeHtml(code.slice(last));
}
