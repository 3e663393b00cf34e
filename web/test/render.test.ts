import { describe, expect, it } from "vitest";
import { escapeHtml, highlight, renderMarkdown } from "../src/markdown";
import { diffLines } from "../src/diff";

describe("markdown", () => {
  it("escapes HTML from the agent", () => {
    expect(renderMarkdown("<img src=x onerror=alert(1)>")).toBe("<p>&lt;img src=x onerror=alert(1)&gt;</p>");
    expect(renderMarkdown("[x](javascript:alert(1))")).not.toContain("<a");
  });

  it("renders code fences with highlighting, lists, headings and inline code", () => {
    const html = renderMarkdown("# Title\n\nSome `code` and **bold**.\n\n- one\n- two\n\n```js\nconst a = \"s\"; // c\n```");
    expect(html).toContain("<h3>Title</h3>");
    expect(html).toContain("<code>code</code>");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain("<ul><li>one</li><li>two</li></ul>");
    expect(html).toContain('<pre class="code" data-lang="js"><code><span class="tok-k">const</span>');
    expect(html).toContain('<span class="tok-s">&quot;s&quot;</span>');
    expect(html).toContain('<span class="tok-c">// c</span>');
  });

  it("renders an unclosed fence while it streams", () => {
    expect(renderMarkdown("```\nhalf")).toBe('<pre class="code"><code>half</code></pre>');
  });

  it("escapes inside highlighted code", () => {
    expect(highlight("a < b")).toBe("a &lt; b");
    expect(escapeHtml("\"&")).toBe("&quot;&amp;");
  });
});

describe("diffLines", () => {
  it("marks added and removed lines", () => {
    expect(diffLines("a\nb\nc\n", "a\nB\nc\nd\n")).toEqual([
      { op: " ", text: "a" }, { op: "-", text: "b" }, { op: "+", text: "B" }, { op: " ", text: "c" }, { op: "+", text: "d" }]);
  });

  it("shows a new file as added lines", () => {
    expect(diffLines(null, "x\ny\n")).toEqual([{ op: "+", text: "x" }, { op: "+", text: "y" }]);
  });
});
