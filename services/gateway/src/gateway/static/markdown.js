// A small, safe Markdown renderer for the results Recast produces.
//
// Safety does not depend on getting Markdown right: the parser yields plain
// objects, and the DOM is built only with createElement (from a fixed list of
// tags) and text nodes. Nothing is ever parsed as HTML, so raw HTML in the
// Markdown shows as text. The only attribute taken from the input is a link's
// href, and only absolute http(s) URLs pass. Images become links (no remote
// loads from our origin). Nesting is capped so hostile input cannot blow the stack.

const MAX_DEPTH = 16;
const MAX_URL = 4096;

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const ITEM = /^( *)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$/;
const TABLE_RULE = /^ *\|? *:?-{2,}:? *(\| *:?-{2,}:? *)*\|? *$/;
const ESCAPABLE = "\\`*_{}[]()#+-.!|>~<\"'";
const BLOCK_TAGS = new Set(["h1", "h2", "h3", "h4", "h5", "h6", "p", "ul", "ol", "li", "blockquote", "pre", "code", "hr", "table", "thead", "tbody", "tr", "th", "td"]);
const INLINE_TAGS = new Set(["strong", "em", "del", "code", "br", "a", "span"]);

/**
 * Only absolute http(s) URLs; anything else (javascript:, data:, relative…) is refused.
 * @param {string} raw
 * @returns {string | null} the normalized URL, or null
 */
export function safeHref(raw) {
  let url;
  try {
    url = new URL(String(raw).trim());
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  return url.href;
}

// ---------------------------------------------------------------- blocks

/**
 * @typedef {{type: "heading", level: number, text: string}
 *   | {type: "paragraph", text: string}
 *   | {type: "code", text: string, lang: string}
 *   | {type: "rule"}
 *   | {type: "quote", children: Block[]}
 *   | {type: "list", ordered: boolean, start: number, items: Block[][]}
 *   | {type: "table", head: string[], rows: string[][]}} Block
 */

/**
 * @param {string} source
 * @param {number} [depth]
 * @returns {Block[]}
 */
export function parseBlocks(source, depth = 0) {
  const lines = String(source).replace(/\r\n?/g, "\n").split("\n");
  /** @type {Block[]} */
  const blocks = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i++;
      continue;
    }
    let m;
    if ((m = FENCE.exec(line))) {
      const fence = m[1];
      const body = [];
      i++;
      while (i < lines.length && !isClosingFence(lines[i], fence)) body.push(lines[i++]);
      i++;
      blocks.push({ type: "code", text: body.join("\n"), lang: m[2] ?? "" });
    } else if ((m = HEADING.exec(line))) {
      blocks.push({ type: "heading", level: m[1].length, text: m[2] ?? "" });
      i++;
    } else if (RULE.test(line)) {
      blocks.push({ type: "rule" });
      i++;
    } else if (QUOTE.test(line) && depth < MAX_DEPTH) {
      const inner = [];
      while (i < lines.length && lines[i].trim() && (m = QUOTE.exec(lines[i]) ?? [null, lines[i]])) {
        inner.push(m[1]);
        i++;
      }
      blocks.push({ type: "quote", children: parseBlocks(inner.join("\n"), depth + 1) });
    } else if (ITEM.test(line) && depth < MAX_DEPTH) {
      i = parseList(lines, i, depth, blocks);
    } else if (line.includes("|") && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1])) {
      const head = splitRow(line);
      const rows = [];
      i += 2;
      while (i < lines.length && lines[i].includes("|") && lines[i].trim()) rows.push(splitRow(lines[i++]));
      blocks.push({ type: "table", head, rows });
    } else {
      const text = [line];
      i++;
      while (i < lines.length && lines[i].trim() && !startsBlock(lines[i])) text.push(lines[i++]);
      blocks.push({ type: "paragraph", text: text.join("\n") });
    }
  }
  return blocks;
}

/** @param {string} line @param {string} fence */
function isClosingFence(line, fence) {
  const t = line.trim();
  return t.length >= fence.length && t[0] === fence[0] && [...t].every((c) => c === fence[0]);
}

/** @param {string} line */
function startsBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || ITEM.test(line);
}

/**
 * @param {string[]} lines @param {number} start @param {number} depth @param {Block[]} out
 * @returns {number} the index after the list
 */
function parseList(lines, start, depth, out) {
  const first = /** @type {RegExpExecArray} */ (ITEM.exec(lines[start]));
  const indent = first[1].length;
  const ordered = /\d/.test(first[2]);
  /** @type {string[][]} */
  const items = [];
  let i = start;
  while (i < lines.length) {
    const m = ITEM.exec(lines[i]);
    if (m && m[1].length === indent && /\d/.test(m[2]) === ordered) {
      items.push([m[3] ?? ""]);
      i++;
      continue;
    }
    const line = lines[i];
    const leading = line.length - line.trimStart().length;
    if (line.trim() && (leading > indent || (!startsBlock(line) && !isBlankBefore(lines, i)))) {
      items[items.length - 1].push(line.slice(Math.min(leading, indent + 2)));
      i++;
    } else if (!line.trim() && i + 1 < lines.length && lineIndent(lines[i + 1]) > indent && lines[i + 1].trim()) {
      items[items.length - 1].push("");
      i++;
    } else {
      break;
    }
  }
  out.push({
    type: "list",
    ordered,
    start: ordered ? parseInt(first[2], 10) : 1,
    items: items.map((body) => parseBlocks(body.join("\n"), depth + 1)),
  });
  return i;
}

/** @param {string[]} lines @param {number} i */
function isBlankBefore(lines, i) {
  return i > 0 && !lines[i - 1].trim();
}

/** @param {string} line */
function lineIndent(line) {
  return line.length - line.trimStart().length;
}

/** @param {string} line */
function splitRow(line) {
  let t = line.trim();
  if (t.startsWith("|")) t = t.slice(1);
  if (t.endsWith("|") && !t.endsWith("\\|")) t = t.slice(0, -1);
  const cells = [];
  let cell = "";
  for (let k = 0; k < t.length; k++) {
    if (t[k] === "\\" && t[k + 1] === "|") {
      cell += "|";
      k++;
    } else if (t[k] === "|") {
      cells.push(cell.trim());
      cell = "";
    } else {
      cell += t[k];
    }
  }
  cells.push(cell.trim());
  return cells;
}

// ---------------------------------------------------------------- inlines

/**
 * @typedef {{type: "text", text: string}
 *   | {type: "code", text: string}
 *   | {type: "br"}
 *   | {type: "strong" | "em" | "del", children: Inline[]}
 *   | {type: "link", href: string | null, children: Inline[]}} Inline
 */

/**
 * @param {string} text
 * @param {number} [depth]
 * @returns {Inline[]}
 */
export function parseInline(text, depth = 0) {
  /** @type {Inline[]} */
  const out = [];
  let buf = "";
  const flush = () => {
    if (buf) out.push({ type: "text", text: buf });
    buf = "";
  };
  // Delimiters already known to have no closer further on (keeps hostile input linear).
  /** @type {Set<string>} */
  const unclosed = new Set();
  /** @type {{brackets?: Int32Array}} */
  const memo = {};
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\" && text[i + 1] === "\n") {
      flush();
      out.push({ type: "br" });
      i += 2;
    } else if (c === "\\" && i + 1 < text.length && ESCAPABLE.includes(text[i + 1])) {
      buf += text[i + 1];
      i += 2;
    } else if (c === "`") {
      let n = 1;
      while (text[i + n] === "`") n++;
      const ticks = "`".repeat(n);
      const end = unclosed.has(ticks) ? -1 : text.indexOf(ticks, i + n);
      if (end < 0) {
        unclosed.add(ticks);
        buf += ticks;
        i += n;
      } else {
        flush();
        out.push({ type: "code", text: text.slice(i + n, end).replace(/\n/g, " ") });
        i = end + n;
      }
    } else if (c === " " && text.startsWith("  \n", i)) {
      flush();
      out.push({ type: "br" });
      i += 3;
    } else if ((c === "[" || (c === "!" && text[i + 1] === "[")) && depth < MAX_DEPTH) {
      const link = matchLink(text, c === "!" ? i + 1 : i, memo);
      if (!link) {
        buf += c;
        i++;
        continue;
      }
      flush();
      const image = c === "!";
      const children = image
        ? [{ type: /** @type {const} */ ("text"), text: `[image${link.label ? `: ${link.label}` : ""}]` }]
        : parseInline(link.label, depth + 1);
      out.push({ type: "link", href: safeHref(link.dest), children });
      i = link.end;
    } else if (c === "<" && /^<https?:\/\/[^\s<>]+>/.test(text.slice(i, i + 2050))) {
      const end = text.indexOf(">", i);
      flush();
      const url = text.slice(i + 1, end);
      out.push({ type: "link", href: safeHref(url), children: [{ type: "text", text: url }] });
      i = end + 1;
    } else if ((c === "*" || c === "_" || c === "~") && depth < MAX_DEPTH) {
      const span = matchEmphasis(text, i, unclosed);
      if (!span) {
        buf += c;
        i++;
        continue;
      }
      flush();
      out.push({ type: span.type, children: parseInline(text.slice(span.from, span.to), depth + 1) });
      i = span.end;
    } else {
      buf += c;
      i++;
    }
  }
  flush();
  return out;
}

/**
 * For every "[" the index of its matching "]" (or -1), in one pass.
 * @param {string} text
 * @returns {Int32Array}
 */
function matchBrackets(text) {
  const close = new Int32Array(text.length).fill(-1);
  const open = [];
  for (let k = 0; k < text.length; k++) {
    if (text[k] === "\\") k++;
    else if (text[k] === "[") open.push(k);
    else if (text[k] === "]" && open.length) close[/** @type {number} */ (open.pop())] = k;
  }
  return close;
}

/**
 * `[label](dest "title")` starting at `start` (the "[").
 * @param {string} text @param {number} start @param {{brackets?: Int32Array}} memo
 * @returns {{label: string, dest: string, end: number} | null}
 */
function matchLink(text, start, memo) {
  memo.brackets ??= matchBrackets(text);
  const k = memo.brackets[start];
  if (k < 0 || text[k + 1] !== "(") return null;
  let parens = 0;
  let j = k + 1;
  // Destinations are short; a bound keeps runs of "[a](((" linear.
  const limit = Math.min(text.length, j + MAX_URL);
  for (; j < limit; j++) {
    if (text[j] === "\\") j++;
    else if (text[j] === "(") parens++;
    else if (text[j] === ")" && --parens === 0) break;
    else if (text[j] === "\n") return null;
  }
  if (j >= limit) return null;
  const inside = text.slice(k + 2, j).trim();
  const dest = /^<[^>]*>/.test(inside) ? inside.slice(1, inside.indexOf(">")) : inside.split(/\s+/)[0] ?? "";
  return { label: text.slice(start + 1, k), dest, end: j + 1 };
}

/**
 * `**strong**`, `__strong__`, `*em*`, `_em_`, `~~del~~` starting at `start`.
 * @param {string} text @param {number} start @param {Set<string>} unclosed
 * @returns {{type: "strong" | "em" | "del", from: number, to: number, end: number} | null}
 */
function matchEmphasis(text, start, unclosed) {
  const c = text[start];
  const double = text[start + 1] === c;
  if (c === "~" && !double) return null;
  const delim = double ? c + c : c;
  const from = start + delim.length;
  if (from >= text.length || /\s/.test(text[from])) return null;
  // Intra-word underscores (snake_case) are not emphasis.
  if (c === "_" && start > 0 && /\w/.test(text[start - 1])) return null;
  if (unclosed.has(delim)) return null;
  let at = from;
  for (;;) {
    const end = text.indexOf(delim, at + 1);
    if (end < 0) {
      unclosed.add(delim);
      return null;
    }
    const closes = !/\s/.test(text[end - 1]) && !(c === "_" && /\w/.test(text[end + delim.length] ?? ""));
    if (closes && end > from && !(delim.length === 1 && text[end + 1] === c)) {
      const type = c === "~" ? "del" : double ? "strong" : "em";
      return { type, from, to: end, end: end + delim.length };
    }
    at = end + (delim.length === 1 && text[end + 1] === c ? 1 : 0);
  }
}

// ---------------------------------------------------------------- DOM

/**
 * Render Markdown into a DocumentFragment built only from safe elements and text.
 * @param {string} source
 * @param {{document?: Document, headingOffset?: number}} [options] headingOffset shifts
 *   `#` to h(1+offset) so results sit below the page's own h1.
 * @returns {DocumentFragment}
 */
export function renderMarkdown(source, options = {}) {
  const doc = options.document ?? document;
  const offset = options.headingOffset ?? 0;
  const fragment = doc.createDocumentFragment();
  for (const block of parseBlocks(source)) fragment.append(blockNode(doc, block, offset, false));
  return fragment;
}

/**
 * Inline Markdown (a summary, a key point) into a fragment.
 * @param {string} source @param {{document?: Document}} [options]
 */
export function renderInline(source, options = {}) {
  const doc = options.document ?? document;
  const fragment = doc.createDocumentFragment();
  for (const node of parseInline(source)) fragment.append(inlineNode(doc, node));
  return fragment;
}

/** @param {Document} doc @param {string} tag */
function el(doc, tag) {
  if (!BLOCK_TAGS.has(tag) && !INLINE_TAGS.has(tag)) throw new Error(`tag not allowed: ${tag}`);
  return doc.createElement(tag);
}

/** @param {Document} doc @param {string} tag @param {string} text */
function withInline(doc, tag, text) {
  const node = el(doc, tag);
  for (const child of parseInline(text)) node.append(inlineNode(doc, child));
  return node;
}

/**
 * @param {Document} doc @param {Block} block @param {number} offset @param {boolean} tight
 * @returns {Node}
 */
function blockNode(doc, block, offset, tight) {
  switch (block.type) {
    case "heading":
      return withInline(doc, `h${Math.min(6, block.level + offset)}`, block.text);
    case "paragraph":
      if (tight) {
        const fragment = doc.createDocumentFragment();
        for (const child of parseInline(block.text)) fragment.append(inlineNode(doc, child));
        return fragment;
      }
      return withInline(doc, "p", block.text);
    case "code": {
      const pre = el(doc, "pre");
      const code = el(doc, "code");
      code.textContent = block.text;
      pre.append(code);
      return pre;
    }
    case "rule":
      return el(doc, "hr");
    case "quote": {
      const quote = el(doc, "blockquote");
      for (const child of block.children) quote.append(blockNode(doc, child, offset, false));
      return quote;
    }
    case "list": {
      const list = el(doc, block.ordered ? "ol" : "ul");
      if (block.ordered && block.start !== 1) list.setAttribute("start", String(block.start));
      const itemsTight = block.items.every((item) => item.filter((b) => b.type === "paragraph").length <= 1);
      for (const item of block.items) {
        const li = el(doc, "li");
        for (const child of item) li.append(blockNode(doc, child, offset, itemsTight));
        list.append(li);
      }
      return list;
    }
    case "table": {
      const table = el(doc, "table");
      const thead = el(doc, "thead");
      const headRow = el(doc, "tr");
      for (const cell of block.head) headRow.append(withInline(doc, "th", cell));
      thead.append(headRow);
      const tbody = el(doc, "tbody");
      for (const row of block.rows) {
        const tr = el(doc, "tr");
        for (let k = 0; k < block.head.length; k++) tr.append(withInline(doc, "td", row[k] ?? ""));
        tbody.append(tr);
      }
      table.append(thead, tbody);
      return table;
    }
  }
  return doc.createTextNode("");
}

/** @param {Document} doc @param {Inline} node @returns {Node} */
function inlineNode(doc, node) {
  switch (node.type) {
    case "text":
      return doc.createTextNode(node.text);
    case "br":
      return el(doc, "br");
    case "code": {
      const code = el(doc, "code");
      code.textContent = node.text;
      return code;
    }
    case "strong":
    case "em":
    case "del": {
      const wrap = el(doc, node.type);
      for (const child of node.children) wrap.append(inlineNode(doc, child));
      return wrap;
    }
    case "link": {
      // A refused URL keeps its text, without a link.
      const wrap = el(doc, node.href ? "a" : "span");
      if (node.href) {
        wrap.setAttribute("href", node.href);
        wrap.setAttribute("rel", "noopener noreferrer nofollow ugc");
        wrap.setAttribute("target", "_blank");
      }
      for (const child of node.children) wrap.append(inlineNode(doc, child));
      return wrap;
    }
  }
  return doc.createTextNode("");
}
