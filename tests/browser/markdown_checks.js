// Unit checks of markdown.js in the browser. Evaluated by test_modules.py on a page
// served WITHOUT any Content-Security-Policy, so only the renderer stands between
// hostile Markdown and script execution. Resolves to {cases, hostile, timings}.
(async (cases, hostile) => {
  const { renderMarkdown, safeHref } = await import("/markdown.js");
  const html = (md, options) => {
    const div = document.createElement("div");
    div.append(renderMarkdown(md, options));
    return div.innerHTML;
  };
  const out = { cases: cases.map((md) => html(md)), offset: html("# T\n\n## U", { headingOffset: 1 }) };
  // Hostile input goes into the live document, where any handler would fire.
  const stage = document.createElement("div");
  document.body.append(stage);
  for (const md of hostile) stage.append(renderMarkdown(md));
  await new Promise((resolve) => setTimeout(resolve, 300));
  out.hostile = {
    pwned: window.__pwned ?? null,
    elements: [...new Set([...stage.querySelectorAll("*")].map((el) => el.tagName))].sort(),
    attributes: [...new Set([...stage.querySelectorAll("*")].flatMap((el) => [...el.attributes].map((a) => a.name)))].sort(),
    hrefs: [...stage.querySelectorAll("a")].map((a) => a.getAttribute("href")),
  };
  out.safeHref = ["https://a.test/x", "http://a.test", "javascript:alert(1)", " JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "data:text/html,x", "/relative", "vbscript:x", "file:///etc/passwd", "mailto:a@b.test"].map(safeHref);
  const timings = {};
  for (const [name, md] of Object.entries({
    stars: "*".repeat(100000),
    brackets: "[".repeat(50000) + "](",
    balanced: "[a](".repeat(20000),
    parens: "[a](" + "(".repeat(100000),
    quotes: ">".repeat(20000) + " deep",
    lists: Array.from({ length: 2000 }, (_, i) => " ".repeat(i % 40) + "- item").join("\n"),
    ticks: "`a ".repeat(30000),
    underscores: "_a ".repeat(30000),
  })) {
    const t0 = performance.now();
    renderMarkdown(md);
    timings[name] = performance.now() - t0;
  }
  out.timings = timings;
  return out;
})
