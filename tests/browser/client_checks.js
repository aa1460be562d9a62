// Unit checks of recast-client.js in the browser, with a fake fetch and a fake
// EventSource. Evaluated by test_modules.py; resolves to {check name: outcome}.
(async () => {
  const { createClient, RecastError } = await import("/recast-client.js");
  const data = { title: "T", summary: "s", keyPoints: [], markdown: "# T", wordCount: 1, readingTimeMinutes: 1, persona: "student", engine: "e", metadata: {} };
  const snap = (status, progress, stage, extra = {}) => ({ jobId: "j1", kind: "url", status, progress, stage, attempts: 1, createdAt: "", updatedAt: "", ...extra });
  const json = (status, body, headers = {}) =>
    new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
  const accepted = json(202, { jobId: "j1", status: "queued", progress: 0, stage: "queued", statusUrl: "/api/transform/jobs/j1", eventsUrl: "/api/transform/jobs/j1/events" });

  /** A fetch that answers POSTs with `post` and GETs with the next of `gets`. */
  function fakeFetch(post, gets) {
    const calls = [];
    const fetch = async (url, init) => {
      calls.push(`${init.method} ${url}`);
      if (init.method === "POST") return post.clone();
      const next = gets.length > 1 ? gets.shift() : gets[0];
      return typeof next === "function" ? next() : json(200, next);
    };
    return { fetch, calls };
  }

  class FakeEventSource {
    static script = [];
    static opened = [];
    constructor(url) {
      this.url = url;
      this.listeners = {};
      this.closed = false;
      FakeEventSource.opened.push(url);
      setTimeout(() => {
        for (const [name, payload] of FakeEventSource.script) {
          if (this.closed) return;
          const event = name === "error" ? new Event("error") : new MessageEvent(name, { data: JSON.stringify(payload) });
          for (const fn of this.listeners[name] ?? []) fn(event);
        }
      }, 1);
    }
    addEventListener(name, fn) { (this.listeners[name] ??= []).push(fn); }
    close() { this.closed = true; }
  }

  const results = {};
  async function check(name, fn) {
    try {
      results[name] = { ok: await fn() };
    } catch (err) {
      results[name] = { error: err instanceof RecastError ? { code: err.code, status: err.status ?? null, jobId: err.jobId ?? null, upstreamStatus: err.upstreamStatus ?? null, retryable: err.retryable, isRecastError: true } : { name: err.name, message: String(err.message) } };
    }
  }

  await check("cache_hit", async () => {
    const { fetch, calls } = fakeFetch(json(200, { jobId: "j1", status: "completed", cached: true, data }), [{}]);
    const seen = [];
    const jobs = [];
    const out = await createClient({ fetch, EventSource: null }).transform.webpage(
      { url: "https://example.com/", persona: "student" },
      { onProgress: (s) => seen.push([s.jobId, s.status, s.progress, s.stage, s.cached]), onJob: (id) => jobs.push(id) },
    );
    return { title: out.title, seen, jobs, calls };
  });

  await check("polling", async () => {
    const { fetch, calls } = fakeFetch(accepted, [snap("running", 10, "fetching"), snap("running", 60, "transforming"), snap("completed", 100, "done", { data })]);
    const seen = [];
    const out = await createClient({ fetch, EventSource: null }).transform.text(
      { text: "hello", persona: "student", ignored: 1 },
      { intervalMs: 1, onProgress: (s) => seen.push([s.stage, s.progress]) },
    );
    return { title: out.title, seen, calls };
  });

  await check("failed", async () => {
    const { fetch } = fakeFetch(accepted, [snap("failed", 10, "fetching", { error: { code: "http_error", message: "404 upstream", retryable: false, upstreamStatus: 404 } })]);
    return createClient({ fetch, EventSource: null }).transform.webpage({ url: "https://x.test/" }, { intervalMs: 1 });
  });

  await check("cancelled", async () => {
    const { fetch } = fakeFetch(accepted, [snap("cancelled", 10, "fetching")]);
    return createClient({ fetch, EventSource: null }).transform.webpage({ url: "https://x.test/" }, { intervalMs: 1 });
  });

  await check("timeout", async () => {
    const { fetch, calls } = fakeFetch(accepted, [snap("running", 10, "fetching")]);
    try {
      await createClient({ fetch, EventSource: null }).transform.webpage({ url: "https://x.test/" }, { intervalMs: 1, maxAttempts: 3 });
    } catch (err) {
      return { code: err.code, jobId: err.jobId, gets: calls.filter((c) => c.startsWith("GET")).length };
    }
  });

  await check("problem", async () => {
    const { fetch } = fakeFetch(json(422, { type: "about:blank", title: "Unprocessable", status: 422, code: "invalid_url", detail: "not a URL" }), [{}]);
    return createClient({ fetch, EventSource: null }).transform.webpage({ url: "nope" });
  });

  await check("busy_gateway_costs_an_attempt", async () => {
    const { fetch } = fakeFetch(accepted, [
      () => json(503, { type: "about:blank", title: "x", status: 503, code: "unavailable" }, { "Retry-After": "1" }),
      snap("completed", 100, "done", { data }),
    ]);
    const out = await createClient({ fetch, EventSource: null }).transform.webpage({ url: "https://x.test/" }, { intervalMs: 1 });
    return out.title;
  });

  await check("abort", async () => {
    const { fetch } = fakeFetch(accepted, [snap("running", 10, "fetching")]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    return createClient({ fetch, EventSource: null }).transform.webpage({ url: "https://x.test/" }, { intervalMs: 5, signal: controller.signal });
  });

  await check("sse", async () => {
    FakeEventSource.opened = [];
    FakeEventSource.script = [["progress", snap("running", 40, "extracting")], ["completed", snap("completed", 100, "done", { data })]];
    const { fetch, calls } = fakeFetch(accepted, [snap("running", 0, "queued")]);
    const seen = [];
    const out = await createClient({ fetch, EventSource: FakeEventSource }).transform.webpage(
      { url: "https://x.test/" },
      { onProgress: (s) => seen.push([s.stage, s.progress]) },
    );
    return { title: out.title, seen, opened: FakeEventSource.opened, gets: calls.filter((c) => c.startsWith("GET")).length };
  });

  await check("sse_error_falls_back_to_polling", async () => {
    FakeEventSource.opened = [];
    FakeEventSource.script = [["progress", snap("running", 10, "fetching")], ["error", null]];
    const { fetch, calls } = fakeFetch(accepted, [snap("completed", 100, "done", { data })]);
    const out = await createClient({ fetch, EventSource: FakeEventSource }).transform.webpage({ url: "https://x.test/" }, { intervalMs: 1 });
    return { title: out.title, opened: FakeEventSource.opened.length, gets: calls.filter((c) => c.startsWith("GET")).length };
  });

  await check("resume_finished_job", async () => {
    FakeEventSource.opened = [];
    const { fetch, calls } = fakeFetch(accepted, [snap("completed", 100, "done", { data })]);
    const out = await createClient({ fetch, EventSource: FakeEventSource, baseUrl: "https://gw.test/" }).resume("j1");
    return { title: out.title, calls, opened: FakeEventSource.opened.length };
  });

  await check("network_error", async () => {
    const fetch = async () => { throw new TypeError("Failed to fetch"); };
    return createClient({ fetch, EventSource: null }).transform.webpage({ url: "https://x.test/" });
  });

  return results;
})()
