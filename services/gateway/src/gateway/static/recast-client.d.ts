// Types for recast-client.js (a plain ES module served at /static/recast-client.js).

export type JobStatusName = "queued" | "running" | "completed" | "failed" | "cancelled";
export type JobStage = "queued" | "fetching" | "extracting" | "transforming" | "storing" | "done";

export interface ArticleMetadata {
  byline?: string;
  language?: string;
  siteName?: string;
  publishedTime?: string;
  canonicalUrl?: string;
  excerpt?: string;
}

/** A finished job's `data`. */
export interface TransformResult {
  title: string;
  summary: string;
  keyPoints: string[];
  markdown: string;
  wordCount: number;
  readingTimeMinutes: number;
  persona: string;
  engine: string;
  sourceUrl?: string;
  metadata: ArticleMetadata;
}

export interface JobError {
  code: string;
  message: string;
  retryable: boolean;
  upstreamStatus?: number;
}

/** `GET /api/transform/jobs/{jobId}` and every SSE event's data. */
export interface JobSnapshot {
  jobId: string;
  kind: "url" | "text";
  status: JobStatusName;
  progress: number;
  stage: JobStage;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  persona?: string;
  sourceUrl?: string;
  data?: TransformResult;
  error?: JobError;
}

/** What `onProgress` receives (the old frontend read `progress` and `stage`). */
export interface JobStatus extends Partial<JobSnapshot> {
  jobId: string;
  status: JobStatusName;
  progress: number;
  stage: JobStage;
  /** true when the answer came from the result cache */
  cached?: boolean;
}

export interface PollOptions {
  /** polls before giving up; also bounds SSE to maxAttempts × intervalMs (default 120) */
  maxAttempts?: number;
  /** milliseconds between polls (default 1000) */
  intervalMs?: number;
  onProgress?: (status: JobStatus) => void;
  /** called once the job id is known (before any progress), e.g. to put it in the URL */
  onJob?: (jobId: string) => void;
  /** stops waiting (rejects with the signal's reason); the job itself keeps running */
  signal?: AbortSignal;
  /** false: poll only, never open an EventSource */
  sse?: boolean;
}

export interface Persona {
  name: string;
  label: string;
  description: string;
}

export interface WebpageRequest {
  url: string;
  persona?: string;
  refresh?: boolean;
}

export interface TextRequest {
  text: string;
  persona?: string;
  title?: string;
  refresh?: boolean;
}

export interface ClientConfig {
  /** gateway origin, e.g. "https://recast.example"; default: this page's origin */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** null disables SSE (polling only) */
  EventSource?: typeof EventSource | null;
}

export declare const DEFAULT_MAX_ATTEMPTS: 120;
export declare const DEFAULT_INTERVAL_MS: 1000;

export declare class RecastError extends Error {
  constructor(
    code: string,
    message: string,
    details?: {
      status?: number;
      jobId?: string;
      retryable?: boolean;
      upstreamStatus?: number;
      retryAfter?: number;
      problem?: object;
      snapshot?: JobSnapshot;
    },
  );
  readonly name: "RecastError";
  /** a problem `code` (e.g. `invalid_url`), a job's `error.code` (e.g. `http_error`),
   *  `cancelled`, `poll_timeout`, `network_error` or `bad_response` */
  code: string;
  /** HTTP status, for API problems */
  status?: number;
  jobId?: string;
  retryable: boolean;
  upstreamStatus?: number;
  retryAfter?: number;
  problem?: object;
  snapshot?: JobSnapshot;
}

export interface RecastClient {
  transform: {
    webpage(request: WebpageRequest, options?: PollOptions): Promise<TransformResult>;
    text(request: TextRequest, options?: PollOptions): Promise<TransformResult>;
  };
  resume(jobId: string, options?: PollOptions): Promise<TransformResult>;
  status(jobId: string, signal?: AbortSignal): Promise<JobSnapshot>;
  cancel(jobId: string): Promise<JobSnapshot>;
  personas(): Promise<Persona[]>;
}

export declare function createClient(config?: ClientConfig): RecastClient;
export declare const transform: RecastClient["transform"];
export declare const resume: RecastClient["resume"];
export declare const status: RecastClient["status"];
export declare const cancel: RecastClient["cancel"];
export declare const personas: RecastClient["personas"];
