// The page at "/": submit, follow with live progress, render the result safely,
// keep a short history. Uses only recast-client.js and markdown.js; never an HTML sink.
import { RecastError, cancel, personas, resume, transform } from "./recast-client.js";
import { renderMarkdown } from "./markdown.js";

const HISTORY_KEY = "recast.history";
const PERSONA_KEY = "recast.persona";
const HISTORY_MAX = 10;
const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;
const STAGES = {
  queued: "Waiting in the queue",
  fetching: "Fetching the page",
  extracting: "Finding the article",
  transforming: "Rewriting for the reader",
  storing: "Saving the result",
  done: "Done",
};

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const form = /** @type {HTMLFormElement} */ ($("form"));
const urlInput = /** @type {HTMLInputElement} */ ($("url"));
const textInput = /** @type {HTMLTextAreaElement} */ ($("text"));
const titleInput = /** @type {HTMLInputElement} */ ($("title"));
const personaSelect = /** @type {HTMLSelectElement} */ ($("persona"));
const refreshBox = /** @type {HTMLInputElement} */ ($("refresh"));
const submitButton = /** @type {HTMLButtonElement} */ ($("submit"));
const progress = /** @type {HTMLProgressElement} */ ($("progress"));

/** @type {{jobId: string | null, controller: AbortController | null, data: any}} */
const current = { jobId: null, controller: null, data: null };
/** @type {Map<string, string>} */
const personaLabels = new Map();

// ---------------------------------------------------------------- form

for (const radio of form.querySelectorAll('input[name="source"]')) {
  radio.addEventListener("change", showSource);
}

function sourceKind() {
  const checked = /** @type {HTMLInputElement | null} */ (form.querySelector('input[name="source"]:checked'));
  return checked?.value === "text" ? "text" : "url";
}

function showSource() {
  const kind = sourceKind();
  $("url-field").hidden = kind !== "url";
  $("text-field").hidden = kind !== "text";
}

async function loadPersonas() {
  try {
    const list = await personas();
    personaSelect.replaceChildren();
    for (const p of list) {
      personaLabels.set(p.name, p.label);
      const option = document.createElement("option");
      option.value = p.name;
      option.textContent = p.label;
      option.dataset.description = p.description;
      personaSelect.append(option);
    }
    const saved = localStorage.getItem(PERSONA_KEY);
    if (saved && personaLabels.has(saved)) personaSelect.value = saved;
  } catch (err) {
    showFormError(`Could not load the reader personas: ${message(err)}`);
  }
  describePersona();
}

function describePersona() {
  const option = personaSelect.selectedOptions[0];
  $("persona-description").textContent = option?.dataset.description ?? "";
}

personaSelect.addEventListener("change", () => {
  localStorage.setItem(PERSONA_KEY, personaSelect.value);
  describePersona();
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  showFormError("");
  const persona = personaSelect.value;
  const refresh = refreshBox.checked || undefined;
  if (sourceKind() === "url") {
    const url = urlInput.value.trim();
    if (!url) return showFormError("Enter the address of a page.", urlInput);
    const label = url;
    start((opts) => transform.webpage({ url, persona, refresh }, opts), { source: label, persona });
  } else {
    const text = textInput.value;
    if (!text.trim()) return showFormError("Paste some text first.", textInput);
    const title = titleInput.value.trim() || undefined;
    start((opts) => transform.text({ text, persona, title, refresh }, opts), {
      source: title ?? "Pasted text",
      persona,
    });
  }
});

/** @param {string} text @param {HTMLElement} [focus] */
function showFormError(text, focus) {
  const box = $("form-error");
  box.textContent = text;
  box.hidden = !text;
  focus?.focus();
}

// ---------------------------------------------------------------- jobs

/**
 * @param {(opts: import("./recast-client").PollOptions) => Promise<any>} run
 * @param {{source: string, persona: string}} info
 */
async function start(run, info) {
  const controller = beginJob();
  submitButton.disabled = true;
  try {
    const data = await run({
      signal: controller.signal,
      onJob: (jobId) => {
        current.jobId = jobId;
        rememberJob(jobId, { ...info, status: "running" });
        setHash(jobId, true);
      },
      onProgress: showProgress,
    });
    if (current.controller === controller) showResult(data);
  } catch (err) {
    if (current.controller === controller) showJobError(err);
  } finally {
    submitButton.disabled = false;
  }
}

/** Follow a job we already know (a reload, a history link). @param {string} jobId */
async function follow(jobId) {
  const controller = beginJob();
  current.jobId = jobId;
  $("job-id").textContent = jobId;
  try {
    const data = await resume(jobId, { signal: controller.signal, onProgress: showProgress });
    if (current.controller === controller) showResult(data);
  } catch (err) {
    if (current.controller === controller) showJobError(err);
  }
}

function beginJob() {
  current.controller?.abort();
  const controller = new AbortController();
  current.controller = controller;
  current.data = null;
  $("result").hidden = true;
  $("job-error").hidden = true;
  $("job").hidden = false;
  ($("cancel")).hidden = false;
  progress.value = 0;
  setStage("queued", "Submitting…");
  document.body.dataset.state = "running";
  return controller;
}

/** @param {import("./recast-client").JobStatus} status */
function showProgress(status) {
  if (status.jobId) $("job").dataset.jobId = status.jobId;
  $("job").dataset.cached = String(Boolean(status.cached));
  $("job-id").textContent = status.jobId;
  // Progress only moves forward within a job (a retry restarts at its first stage).
  progress.value = Math.max(0, Math.min(100, status.progress));
  $("percent").textContent = `${Math.round(progress.value)}%`;
  setStage(status.stage, status.cached ? "Done (from the cache)" : undefined);
  rememberJob(status.jobId, { status: status.status, persona: status.persona });
}

/** @param {string} stage @param {string} [label] */
function setStage(stage, label) {
  const node = $("stage");
  const text = label ?? STAGES[/** @type {keyof typeof STAGES} */ (stage)] ?? stage;
  node.dataset.stage = stage;
  if (node.textContent !== text) {
    node.textContent = text;
    $("live").textContent = text;
  }
}

/** @param {import("./recast-client").TransformResult} data */
function showResult(data) {
  current.data = data;
  progress.value = 100;
  $("percent").textContent = "100%";
  const cached = $("job").dataset.cached === "true";
  setStage("done", cached ? "Done (from the cache)" : undefined);
  $("cancel").hidden = true;
  const meta = [
    personaLabels.get(data.persona) ?? data.persona,
    `${data.wordCount} words`,
    `${data.readingTimeMinutes} min read`,
  ];
  if (data.metadata?.siteName) meta.push(data.metadata.siteName);
  $("result-meta").textContent = meta.join(" · ");
  $("markdown").replaceChildren(renderMarkdown(data.markdown, { headingOffset: 1 }));
  $("action-status").textContent = "";
  $("result").hidden = false;
  document.title = `${data.title} — Recast`;
  document.body.dataset.state = "done";
  if (current.jobId) {
    rememberJob(current.jobId, {
      status: "completed",
      title: data.title,
      persona: data.persona,
      source: data.sourceUrl,
    });
  }
}

/** @param {unknown} err */
function showJobError(err) {
  if (err instanceof DOMException && err.name === "AbortError") return;
  const box = $("job-error");
  let text = message(err);
  if (err instanceof RecastError) {
    if (err.code === "job_not_found") text = "This job is no longer kept on the server. Submit it again.";
    else if (err.code === "cancelled") text = "The job was cancelled.";
    else if (err.code === "poll_timeout") text = "The job is taking too long; reload the page to keep waiting.";
    text += ` (${err.code})`;
    if (err.retryable && err.code !== "poll_timeout") text += " Trying again may help.";
    if (err.jobId) rememberJob(err.jobId, { status: err.code === "cancelled" ? "cancelled" : "failed" });
    if (!err.jobId && err.status) {
      // Refused at submission: the form is where to fix it.
      $("job").hidden = true;
      document.body.dataset.state = "idle";
      showFormError(text);
      return;
    }
  }
  box.textContent = text;
  box.hidden = false;
  $("cancel").hidden = true;
  document.body.dataset.state = "error";
}

$("cancel").addEventListener("click", async () => {
  if (!current.jobId) return;
  try {
    await cancel(current.jobId);
  } catch (err) {
    showJobError(err);
  }
});

/** @param {unknown} err */
function message(err) {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------- the URL

/** @param {string} jobId @param {boolean} push */
function setHash(jobId, push) {
  const hash = `#job=${encodeURIComponent(jobId)}`;
  if (location.hash === hash) return;
  if (push) history.pushState(null, "", hash);
  else history.replaceState(null, "", hash);
}

function jobFromHash() {
  const id = new URLSearchParams(location.hash.slice(1)).get("job");
  return id && JOB_ID.test(id) ? id : null;
}

function syncFromHash() {
  const jobId = jobFromHash();
  if (jobId && jobId !== current.jobId) follow(jobId);
}

window.addEventListener("hashchange", syncFromHash);
window.addEventListener("popstate", syncFromHash);

// ---------------------------------------------------------------- copy, download

$("copy").addEventListener("click", async () => {
  if (!current.data) return;
  const text = current.data.markdown;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  $("action-status").textContent = "Copied.";
});

$("download").addEventListener("click", () => {
  if (!current.data) return;
  const blob = new Blob([current.data.markdown], { type: "text/markdown;charset=utf-8" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `${slug(current.data.title)}-${current.data.persona}.md`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  $("action-status").textContent = "Downloaded.";
});

/** @param {string} title */
function slug(title) {
  return (title || "recast").toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60) || "recast";
}

// ---------------------------------------------------------------- history

/** @typedef {{jobId: string, source?: string, title?: string, persona?: string, status?: string, at: number}} Entry */

/** @returns {Entry[]} */
function loadHistory() {
  try {
    const list = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? "[]");
    return Array.isArray(list) ? list.filter((e) => e && typeof e.jobId === "string" && JOB_ID.test(e.jobId)) : [];
  } catch {
    return [];
  }
}

/** @param {string} jobId @param {Partial<Entry>} fields */
function rememberJob(jobId, fields) {
  if (!jobId) return;
  const list = loadHistory();
  const old = list.find((e) => e.jobId === jobId);
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  const entry = { ...old, ...defined, jobId, at: old?.at ?? Date.now() };
  if (old && JSON.stringify(old) === JSON.stringify(entry)) return;
  const next = [entry, ...list.filter((e) => e.jobId !== jobId)].slice(0, HISTORY_MAX);
  try {
    localStorage.setItem(HISTORY_KEY, JSON.stringify(next));
  } catch {
    // Storage full or disabled: the history is a convenience only.
  }
  renderHistory();
}

function renderHistory() {
  const list = loadHistory();
  const ol = $("history");
  ol.replaceChildren();
  for (const entry of list) {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = `#job=${encodeURIComponent(entry.jobId)}`;
    link.textContent = entry.title || entry.source || entry.jobId;
    const meta = document.createElement("span");
    meta.className = "hint";
    const when = new Date(entry.at).toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });
    meta.textContent = [personaLabels.get(entry.persona ?? "") ?? entry.persona, entry.status, when]
      .filter(Boolean)
      .join(" · ");
    li.append(link, " ", meta);
    ol.append(li);
  }
  $("history-empty").hidden = list.length > 0;
  $("clear-history").hidden = list.length === 0;
}

$("clear-history").addEventListener("click", () => {
  localStorage.removeItem(HISTORY_KEY);
  renderHistory();
  personaSelect.focus();
});

// ---------------------------------------------------------------- start

showSource();
renderHistory();
const initial = jobFromHash();
if (initial) follow(initial);
await loadPersonas();
renderHistory();
document.body.dataset.ready = "true";
