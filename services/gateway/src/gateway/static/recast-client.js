// Recast browser client: a plain ES module, no build step.
//
//   import { transform, resume, RecastError } from "/static/recast-client.js";
//   const data = await transform.webpage({ url, persona: "student" }, {
//     onProgress: (s) => console.log(s.stage, s.progress),
//   });
//
// A cache hit (200) resolves at once. A new or running job (202) is followed by
// Server-Sent Events; when EventSource is missing or the stream errors before the
// job ends, the client falls back to polling (maxAttempts 120, intervalMs 1000 —
// the old frontend's PollOptions). Failures reject with a RecastError; aborting
// through `signal` rejects with the signal's reason (an AbortError) and leaves the
// job running on the server (use `cancel(jobId)` to stop it there).

/** @typedef {import("./recast-client").TransformResult} TransformResult */
/** @typedef {import("./recast-client").JobSnapshot} JobSnapshot */
/** @typedef {import("./recast-client").JobStatus} JobStatus */
/** @typedef {import("./recast-client").PollOptions} PollOptions */
/** @typedef {import("./recast-client").Persona} Persona */
/** @typedef {import("./recast-client").ClientConfig} ClientConfig */

export const DEFAULT_MAX_ATTEMPTS = 120;
export const DEFAULT_INTERVAL_MS = 1000;
const TERMINAL = new Set(["completed", "failed", "cancelled"]);

/** Any failure the client reports: API problems, failed, cancelled or timed-out jobs. */
export class RecastError extends Error {
  /**
   * @param {string} code stable machine-readable code (`job_not_found`, `http_error`, `cancelled`, `poll_timeout`, `network_error`, …)
   * @param {string} message human-readable text
   * @param {{status?: number, jobId?: string, retryable?: boolean, upstreamStatus?: number, retryAfter?: number, problem?: object, snapshot?: JobSnapshot}} [details]
   */
  constructor(code, message, details = {}) {
    super(message);
    this.name = "RecastError";
    /** @type {string} */ this.code = code;
    /** @type {number | undefined} HTTP status of an API problem */ this.status = details.status;
    /** @type {string | undefined} */ this.jobId = details.jobId;
    /** @type {boolean} whether resubmitting may help */ this.retryable = Boolean(details.retryable);
    /** @type {number | undefined} */ this.upstreamStatus = details.upstreamStatus;
    /** @type {number | undefined} seconds, from Retry-After */ this.retryAfter = details.retryAfter;
    /** @type {object | undefined} the RFC 9457 problem document */ this.problem = details.problem;
    /** @type {JobSnapshot | undefined} the job's last snapshot */ this.snapshot = details.snapshot;
  }
}

/**
 * A client bound to a gateway. `baseUrl` defaults to this page's origin.
 * @param {ClientConfig} [config]
 */
export function createClient(config = {}) {
  const base = (config.baseUrl ?? "").replace(/\/+$/, "");
  const fetchImpl = config.fetch ?? globalThis.fetch.bind(globalThis);
  const EventSourceImpl =
    config.EventSource === undefined ? globalThis.EventSource : config.EventSource;

  /** @param {string} method @param {string} path @param {unknown} [body] @param {AbortSignal} [signal] */
  async function request(method, path, body, signal) {
    /** @type {Response} */
    let response;
    try {
      response = await fetchImpl(base + path, {
        method,
        signal,
        headers: body === undefined ? { Accept: "application/json" } : { Accept: "application/json", "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      throw new RecastError("network_error", `cannot reach the Recast gateway: ${errorText(err)}`, { retryable: true });
    }
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!response.ok) throw problemError(response, json);
    if (json === null || typeof json !== "object") {
      throw new RecastError("bad_response", `unexpected answer from ${path}`, { status: response.status });
    }
    return { status: response.status, body: json };
  }

  /** @param {string} jobId @param {AbortSignal} [signal] @returns {Promise<JobSnapshot>} */
  async function status(jobId, signal) {
    const { body } = await request("GET", `/api/transform/jobs/${encodeURIComponent(jobId)}`, undefined, signal);
    return /** @type {JobSnapshot} */ (body);
  }

  /** @param {string} jobId @returns {Promise<JobSnapshot>} */
  async function cancel(jobId) {
    const { body } = await request("DELETE", `/api/transform/jobs/${encodeURIComponent(jobId)}`);
    return /** @type {JobSnapshot} */ (body);
  }

  /** @returns {Promise<Persona[]>} */
  async function personas() {
    const { body } = await request("GET", "/api/personas");
    return /** @type {{personas: Persona[]}} */ (body).personas;
  }

  /**
   * @param {string} path
   * @param {object} payload
   * @param {PollOptions} [opts]
   * @returns {Promise<TransformResult>}
   */
  async function submit(path, payload, opts = {}) {
    if (opts.signal?.aborted) throw abortReason(opts.signal);
    const { status: code, body } = await request("POST", path, payload, opts.signal);
    const accepted = /** @type {any} */ (body);
    const jobId = String(accepted.jobId);
    opts.onJob?.(jobId);
    if (code === 200 && accepted.status === "completed" && accepted.data) {
      report(opts, { jobId, status: "completed", progress: 100, stage: "done", cached: true });
      return accepted.data;
    }
    report(opts, { jobId, status: accepted.status, progress: accepted.progress, stage: accepted.stage });
    return follow(jobId, opts, accepted.eventsUrl);
  }

  /**
   * Follow a known job to its end: its current state first, then SSE or polling.
   * @param {string} jobId
   * @param {PollOptions} [opts]
   * @returns {Promise<TransformResult>}
   */
  async function resume(jobId, opts = {}) {
    const snapshot = await status(jobId, opts.signal);
    opts.onJob?.(jobId);
    report(opts, snapshot);
    if (TERMINAL.has(snapshot.status)) return outcome(snapshot);
    return follow(jobId, opts);
  }

  /** @param {string} jobId @param {PollOptions} opts @param {string} [eventsUrl] */
  async function follow(jobId, opts, eventsUrl) {
    const deadline = Date.now() + (opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS) * (opts.intervalMs ?? DEFAULT_INTERVAL_MS);
    if (EventSourceImpl && opts.sse !== false) {
      const url = base + (eventsUrl ?? `/api/transform/jobs/${encodeURIComponent(jobId)}/events`);
      const viaSse = await followEvents(EventSourceImpl, url, jobId, opts, deadline);
      if (viaSse !== null) return outcome(viaSse);
    }
    return outcome(await poll(jobId, opts));
  }

  /**
   * Resolves with the terminal snapshot, or null when the stream failed first (the
   * caller then polls). Rejects on abort and on the overall deadline.
   * @param {typeof EventSource} ES @param {string} url @param {string} jobId
   * @param {PollOptions} opts @param {number} deadline
   * @returns {Promise<JobSnapshot | null>}
   */
  function followEvents(ES, url, jobId, opts, deadline) {
    return new Promise((resolve, reject) => {
      const source = new ES(url);
      const timer = setTimeout(() => {
        finish();
        reject(new RecastError("poll_timeout", `job ${jobId} did not finish in time`, { jobId, retryable: true }));
      }, Math.max(0, deadline - Date.now()));
      const onAbort = () => {
        finish();
        reject(abortReason(/** @type {AbortSignal} */ (opts.signal)));
      };
      function finish() {
        clearTimeout(timer);
        source.close();
        opts.signal?.removeEventListener("abort", onAbort);
      }
      /** @param {MessageEvent} event */
      const onEvent = (event) => {
        let snapshot;
        try {
          snapshot = JSON.parse(event.data);
        } catch {
          return;
        }
        report(opts, snapshot);
        if (TERMINAL.has(snapshot.status)) {
          finish();
          resolve(snapshot);
        }
      };
      for (const name of ["progress", "completed", "failed", "cancelled", "message"]) {
        source.addEventListener(name, /** @type {EventListener} */ (onEvent));
      }
      source.addEventListener("error", () => {
        finish();
        resolve(null);
      });
      opts.signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** @param {string} jobId @param {PollOptions} opts @returns {Promise<JobSnapshot>} */
  async function poll(jobId, opts) {
    const attempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const interval = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      await sleep(interval, opts.signal);
      let snapshot;
      try {
        snapshot = await status(jobId, opts.signal);
      } catch (err) {
        // A busy or briefly unreachable gateway costs an attempt, not the job.
        if (err instanceof RecastError && (err.code === "network_error" || err.retryable)) continue;
        throw err;
      }
      report(opts, snapshot);
      if (TERMINAL.has(snapshot.status)) return snapshot;
    }
    throw new RecastError("poll_timeout", `job ${jobId} did not finish after ${attempts} polls`, { jobId, retryable: true });
  }

  return {
    transform: {
      /** @param {{url: string, persona?: string, refresh?: boolean}} req @param {PollOptions} [opts] */
      webpage: (req, opts) => submit("/api/transform", pick(req, ["url", "persona", "refresh"]), opts),
      /** @param {{text: string, persona?: string, title?: string, refresh?: boolean}} req @param {PollOptions} [opts] */
      text: (req, opts) => submit("/api/transform/text", pick(req, ["text", "persona", "title", "refresh"]), opts),
    },
    resume,
    status,
    cancel,
    personas,
  };
}

/** @param {JobSnapshot} snapshot @returns {TransformResult} */
function outcome(snapshot) {
  if (snapshot.status === "completed" && snapshot.data) return snapshot.data;
  const jobId = snapshot.jobId;
  if (snapshot.status === "cancelled") {
    throw new RecastError("cancelled", `job ${jobId} was cancelled`, { jobId, snapshot });
  }
  const error = snapshot.error ?? { code: "internal", message: "the job failed", retryable: false };
  throw new RecastError(error.code, error.message, {
    jobId,
    snapshot,
    retryable: error.retryable,
    upstreamStatus: error.upstreamStatus,
  });
}

/** @param {PollOptions} opts @param {any} snapshot */
function report(opts, snapshot) {
  if (!opts.onProgress) return;
  /** @type {JobStatus} */
  const status = {
    ...snapshot,
    jobId: snapshot.jobId,
    status: snapshot.status,
    progress: Number(snapshot.progress ?? 0),
    stage: snapshot.stage,
  };
  try {
    opts.onProgress(status);
  } catch (err) {
    // A throwing callback must not break the job's promise.
    setTimeout(() => {
      throw err;
    });
  }
}

/** @param {Response} response @param {any} json */
function problemError(response, json) {
  const problem = json && typeof json === "object" ? json : undefined;
  const code = problem?.code ?? `http_${response.status}`;
  const message = problem?.detail ?? problem?.title ?? `HTTP ${response.status}`;
  const retryAfterHeader = Number(response.headers.get("Retry-After"));
  return new RecastError(code, message, {
    status: response.status,
    problem,
    retryable: response.status === 429 || response.status === 503,
    retryAfter: Number.isFinite(retryAfterHeader) && retryAfterHeader > 0 ? retryAfterHeader : undefined,
  });
}

/** @param {AbortSignal} signal */
function abortReason(signal) {
  return signal.reason ?? new DOMException("The operation was aborted.", "AbortError");
}

/** @param {number} ms @param {AbortSignal} [signal] @returns {Promise<void>} */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(/** @type {AbortSignal} */ (signal)));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** @param {Record<string, unknown>} source @param {string[]} names */
function pick(source, names) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const name of names) if (source[name] !== undefined) out[name] = source[name];
  return out;
}

/** @param {unknown} err */
function errorText(err) {
  return err instanceof Error ? err.message : String(err);
}

const defaultClient = createClient();

/** Same-origin client: `transform.webpage(...)`, `transform.text(...)`. */
export const transform = defaultClient.transform;
/** Follow a job by id (after a page refresh, say) to its result. */
export const resume = defaultClient.resume;
/** One snapshot of a job. */
export const status = defaultClient.status;
/** Cancel a queued or running job. */
export const cancel = defaultClient.cancel;
/** The reader personas. */
export const personas = defaultClient.personas;
