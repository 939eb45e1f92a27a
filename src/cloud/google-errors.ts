import { CancelledError, EdgewiseError } from '../core/errors.js';

/**
 * Turns what the Google clients throw into errors that say what to run or grant. Shapes met:
 * - the Vertex REST fallback through google-auth-library's fetch: a GaxiosError, `code` = HTTP status,
 *   `message` = the raw JSON body (measured against the fakes);
 * - google-gax 5's GoogleError (its own HTTP decoding, and gRPC): `code` = gRPC code, `message` = the plain
 *   text, the google.rpc.ErrorInfo promoted to `reason`, `domain`, `errorInfoMetadata`, and the decoded
 *   details in `statusDetails` (google-gax build/src/googleError.js, parseHttpError / parseGRPCStatusDetails);
 * - the storage client's ApiError: `code`, `message` and `errors[]`.
 * ErrorInfo reasons (google/api/error_reason.proto) decide the explanation before any message text does.
 */

export interface GoogleErrorInfo {
  httpStatus?: number;
  /** google.rpc.Code name, e.g. PERMISSION_DENIED. */
  status?: string;
  message: string;
  /** ErrorInfo reasons (SERVICE_DISABLED, IAM_PERMISSION_DENIED, ...). */
  reasons: string[];
  /** ErrorInfo domains (googleapis.com, aiplatform.googleapis.com, ...). */
  domains: string[];
  /** ErrorInfo metadata merged (service, permission, consumer...). */
  metadata: Record<string, string>;
  /** Node network error code (ECONNRESET...). */
  netCode?: string;
}

const GRPC_TO_HTTP: Record<number, number> = { 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400, 10: 409, 13: 500, 14: 503, 16: 401 };
const NET_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE']);

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
}

function tryJson(s: string): Record<string, unknown> | undefined {
  const i = s.indexOf('{');
  if (i < 0) return undefined;
  try {
    return asRecord(JSON.parse(s.slice(i)));
  } catch {
    return undefined;
  }
}

/** Reads everything useful out of an error thrown by either SDK (or by fetch underneath them). */
export function parseGoogleError(e: unknown): GoogleErrorInfo {
  const err = asRecord(e) ?? {};
  const rawMessage = typeof err.message === 'string' ? err.message : String(e);
  const info: GoogleErrorInfo = { message: rawMessage, reasons: [], domains: [], metadata: {} };
  const body = tryJson(rawMessage) ?? asRecord(asRecord(asRecord(err.response)?.data)?.error ? asRecord(err.response)?.data : undefined);
  const inner = asRecord(body?.error) ?? (body && 'code' in body && 'message' in body ? body : undefined);
  if (inner) {
    if (typeof inner.message === 'string') info.message = inner.message;
    if (typeof inner.status === 'string') info.status = inner.status;
    if (typeof inner.code === 'number') info.httpStatus = inner.code;
    collectDetails(inner.details, info);
  }
  const code = err.code;
  if (typeof code === 'number') {
    // gRPC codes are < 20, HTTP statuses >= 100.
    if (code >= 100) info.httpStatus ??= code;
    else info.httpStatus ??= GRPC_TO_HTTP[code];
  } else if (typeof code === 'string') {
    if (/^\d+$/.test(code)) info.httpStatus ??= Number(code);
    else if (NET_CODES.has(code) || code.startsWith('E')) info.netCode = code;
  }
  if (typeof err.status === 'number') info.httpStatus ??= err.status;
  const resp = asRecord(err.response);
  if (typeof resp?.status === 'number') info.httpStatus ??= resp.status;
  collectDetails(err.details, info);
  // google-gax 5 GoogleError: ErrorInfo promoted onto the error, the other details decoded in statusDetails.
  collectDetails(err.statusDetails, info);
  if (typeof err.reason === 'string' && err.reason) collectDetails([{ reason: err.reason, domain: err.domain, metadata: err.errorInfoMetadata }], info);
  if (Array.isArray(err.errors)) {
    for (const x of err.errors) {
      const r = asRecord(x);
      if (typeof r?.reason === 'string') info.reasons.push(r.reason);
    }
  }
  const cause = asRecord(err.cause);
  if (!info.netCode && typeof cause?.code === 'string' && NET_CODES.has(cause.code)) info.netCode = cause.code;
  if (!info.netCode) {
    const m = /\b(ECONNRESET|ETIMEDOUT|EPIPE|ECONNREFUSED|EAI_AGAIN|socket hang up)\b/.exec(rawMessage);
    if (m) info.netCode = m[1] === 'socket hang up' ? 'ECONNRESET' : m[1];
  }
  return info;
}

function collectDetails(details: unknown, info: GoogleErrorInfo): void {
  if (!Array.isArray(details)) return;
  for (const d of details) {
    const r = asRecord(d);
    if (!r) continue;
    if (typeof r.reason === 'string' && !info.reasons.includes(r.reason)) info.reasons.push(r.reason);
    if (typeof r.domain === 'string' && r.domain && !info.domains.includes(r.domain)) info.domains.push(r.domain);
    const md = asRecord(r.metadata);
    if (md) for (const [k, v] of Object.entries(md)) if (typeof v === 'string') info.metadata[k] = v;
  }
}

/** 408, 429, 5xx and dropped connections are worth another try; everything else is an answer. */
export function isRetryable(e: unknown): boolean {
  if (e instanceof CancelledError || (e instanceof Error && e.name === 'AbortError')) return false;
  if (e instanceof EdgewiseError) return e.code === 'cloud.hash_mismatch' || e.code === 'cloud.transient';
  const info = parseGoogleError(e);
  if (info.netCode) return true;
  // A used-up resource quota (as opposed to a per-minute rate) does not come back within a retry's wait.
  if (info.reasons.includes('RESOURCE_QUOTA_EXCEEDED') || info.reasons.includes('SERVICE_DISABLED') || info.reasons.includes('BILLING_DISABLED')) return false;
  const s = info.httpStatus;
  return s === 408 || s === 429 || (s !== undefined && s >= 500 && s <= 599);
}

/** The IAM role that grants a permission, for the hint. */
export function roleFor(permission: string): string {
  if (permission.startsWith('storage.buckets.')) return 'roles/storage.admin';
  if (permission.startsWith('storage.')) return 'roles/storage.objectAdmin';
  if (permission.startsWith('aiplatform.')) return 'roles/aiplatform.user';
  if (permission.startsWith('serviceusage.')) return 'roles/serviceusage.serviceUsageConsumer';
  return 'a role that includes it';
}

export interface ExplainContext {
  /** What we were doing, e.g. "create the Vertex AI dataset". */
  action: string;
  project?: string;
  bucket?: string;
  /** Default API for SERVICE_DISABLED without metadata. */
  service?: string;
  /**
   * Where an access token given directly came from (GOOGLE_OAUTH_ACCESS_TOKEN or a token file): such a token
   * cannot be renewed, so a rejection means it expired (they last about an hour) or was revoked.
   */
  tokenFrom?: string;
}

/** A token that cannot be renewed was refused, or the auth library tried to renew one it cannot. */
function expiredAccessToken(info: GoogleErrorInfo): boolean {
  return /No refresh token (or refresh handler callback )?is set/i.test(info.message) || info.httpStatus === 401 || info.status === 'UNAUTHENTICATED' || info.reasons.includes('ACCESS_TOKEN_EXPIRED');
}

/**
 * One EdgewiseError that says what happened and what to run or grant. Unknown shapes keep the server's
 * own message (never a stack trace).
 */
export function explainGoogleError(e: unknown, ctx: ExplainContext): EdgewiseError {
  if (e instanceof EdgewiseError) return e;
  if (e instanceof Error && e.name === 'AbortError') return new CancelledError();
  const info = parseGoogleError(e);
  const project = ctx.project ?? '<project>';
  const base = `Could not ${ctx.action}`;
  const opts = { cause: e };

  if (ctx.tokenFrom && expiredAccessToken(info)) {
    return new EdgewiseError(`${base}: the access token from ${ctx.tokenFrom} has expired or was revoked (such tokens last about an hour, and edgewise cannot renew them).`, {
      ...opts,
      code: 'cloud.token_expired',
      item: ctx.tokenFrom,
      hint: `Set a fresh one (\`export GOOGLE_OAUTH_ACCESS_TOKEN=$(gcloud auth print-access-token)\`) and run the command again: finished work is kept. For sessions longer than an hour, unset it and use \`gcloud auth application-default login\`, which renews itself.`,
    });
  }
  const has = (...reasons: string[]): boolean => reasons.some((r) => info.reasons.includes(r));
  if (has('SERVICE_DISABLED') || /has not been used in project .* or it is disabled/.test(info.message)) {
    const service = info.metadata.service ?? /apis\/api\/([a-z.]+googleapis\.com)/.exec(info.message)?.[1] ?? ctx.service ?? 'aiplatform.googleapis.com';
    return new EdgewiseError(`${base}: the ${service} API is not enabled in project ${project}.`, {
      ...opts,
      code: 'cloud.service_disabled',
      item: service,
      hint: `Run \`gcloud services enable ${service} --project ${project}\`, wait a minute, and retry.`,
    });
  }
  if (has('BILLING_DISABLED')) {
    return new EdgewiseError(`${base}: billing is disabled for project ${project}${info.metadata.service ? ` (needed by ${info.metadata.service})` : ''}.`, {
      ...opts,
      code: 'cloud.billing_disabled',
      item: project,
      hint: `Link a billing account: \`gcloud billing projects link ${project} --billing-account=ACCOUNT_ID\` (accounts: \`gcloud billing accounts list\`), then retry.`,
    });
  }
  if (has('RATE_LIMIT_EXCEEDED', 'RESOURCE_QUOTA_EXCEEDED') || info.httpStatus === 429 || info.status === 'RESOURCE_EXHAUSTED') {
    const limit = [info.metadata.quota_metric, info.metadata.quota_limit].filter(Boolean).join(', limit ');
    const resource = has('RESOURCE_QUOTA_EXCEEDED');
    return new EdgewiseError(`${base}: ${resource ? 'a resource quota is used up' : 'quota or rate limit exceeded'}${limit ? ` (${limit})` : ''}. ${info.message}`, {
      ...opts,
      code: 'cloud.quota',
      ...(info.metadata.quota_metric ? { item: info.metadata.quota_metric } : {}),
      hint: resource
        ? `Ask for more quota in the console (IAM & Admin → Quotas${info.metadata.quota_metric ? `, metric ${info.metadata.quota_metric}` : ''}) or free what uses it, then retry.`
        : 'Wait a few minutes and retry, or ask for more quota in the console (IAM & Admin → Quotas).',
    });
  }
  if (has('ACCESS_TOKEN_EXPIRED', 'CREDENTIALS_MISSING', 'ACCESS_TOKEN_TYPE_UNSUPPORTED', 'ACCESS_TOKEN_SCOPE_INSUFFICIENT')) {
    const expired = has('ACCESS_TOKEN_EXPIRED');
    return new EdgewiseError(`${base}: ${expired ? 'the access token has expired' : has('ACCESS_TOKEN_SCOPE_INSUFFICIENT') ? 'the access token lacks the cloud-platform scope' : 'the credentials were missing or not accepted'}.`, {
      ...opts,
      code: 'cloud.unauthenticated',
      hint: expired
        ? 'Get a fresh one: `gcloud auth application-default login` (renewed automatically), or `export GOOGLE_OAUTH_ACCESS_TOKEN=$(gcloud auth print-access-token)` (lasts about an hour), and retry.'
        : 'Run `gcloud auth application-default login` (or point GOOGLE_APPLICATION_CREDENTIALS at a valid service-account key) and retry.',
    });
  }
  if (info.httpStatus === 403 || info.status === 'PERMISSION_DENIED' || has('IAM_PERMISSION_DENIED')) {
    const permission = info.metadata.permission ?? /Permission '([^']+)'/.exec(info.message)?.[1] ?? /does not have ([a-z]+\.[a-zA-Z.]+) access/.exec(info.message)?.[1];
    const role = permission ? roleFor(permission) : ctx.bucket ? 'roles/storage.objectAdmin' : 'roles/aiplatform.user';
    const onBucket = permission?.startsWith('storage.') && ctx.bucket;
    const grant = onBucket
      ? `gcloud storage buckets add-iam-policy-binding gs://${ctx.bucket} --member=user:YOU@example.com --role=${role}`
      : `gcloud projects add-iam-policy-binding ${project} --member=user:YOU@example.com --role=${role}`;
    return new EdgewiseError(`${base}: permission denied${permission ? ` (missing ${permission})` : ''}. ${info.message}`, {
      ...opts,
      code: 'cloud.permission_denied',
      ...(permission ? { item: permission } : {}),
      hint: `Grant ${role} to the account edgewise runs as: \`${grant}\` (use serviceAccount:NAME@... for a service account).`,
    });
  }
  if (info.httpStatus === 401 || info.status === 'UNAUTHENTICATED') {
    return new EdgewiseError(`${base}: the credentials were rejected (missing, expired or revoked).`, {
      ...opts,
      code: 'cloud.unauthenticated',
      hint: 'Run `gcloud auth application-default login` (or point GOOGLE_APPLICATION_CREDENTIALS at a valid service-account key) and retry.',
    });
  }
  if (info.httpStatus === 404) {
    return new EdgewiseError(`${base}: not found. ${info.message}`, {
      ...opts,
      code: 'cloud.not_found',
      hint: 'Check project, region and bucket in edgewise.json; a resource in the run journal may have been deleted (rerun with --force).',
    });
  }
  if (info.netCode) {
    return new EdgewiseError(`${base}: network error (${info.netCode}).`, {
      ...opts,
      code: 'cloud.network',
      hint: 'Check the connection (and vertex.apiEndpoint / storage.apiEndpoint if set), then retry: finished work is kept.',
    });
  }
  return new EdgewiseError(`${base}: ${info.httpStatus ? `HTTP ${info.httpStatus}: ` : ''}${info.message}`, { ...opts, code: 'cloud.failed' });
}
