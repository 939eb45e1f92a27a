import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { explainGoogleError, isRetryable, parseGoogleError } from '../../src/cloud/google-errors.js';
import { backoffDelay, withRetry } from '../../src/cloud/retry.js';
import { bucketLocationCompatible } from '../../src/cloud/gcs.js';
import { vertexEndpoint } from '../../src/cloud/settings.js';

/** Errors shaped as the REST fallback throws them: code = HTTP status, message = the raw JSON body. */
function restError(status: number, body: unknown): Error {
  return Object.assign(new Error(JSON.stringify(body)), { code: status });
}

describe('explainGoogleError', () => {
  test('SERVICE_DISABLED names the API and the gcloud command', () => {
    const e = restError(403, { error: { code: 403, status: 'PERMISSION_DENIED', message: 'Cloud Storage JSON API has not been used in project 42 before or it is disabled.', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SERVICE_DISABLED', metadata: { service: 'storage.googleapis.com' } }] } });
    const x = explainGoogleError(e, { action: 'list objects', project: 'p1' });
    expect(x.code).toBe('cloud.service_disabled');
    expect(x.hint).toBe('Run `gcloud services enable storage.googleapis.com --project p1`, wait a minute, and retry.');
  });

  test('a storage 403 (legacy body) grants the object role on the bucket', () => {
    const e = Object.assign(new Error('trainer@p.iam.gserviceaccount.com does not have storage.objects.create access to the Google Cloud Storage object.'), { code: 403, errors: [{ reason: 'forbidden' }] });
    const x = explainGoogleError(e, { action: 'upload', project: 'p1', bucket: 'b1' });
    expect(x).toMatchObject({ code: 'cloud.permission_denied', item: 'storage.objects.create' });
    expect(x.hint).toContain('gcloud storage buckets add-iam-policy-binding gs://b1');
    expect(x.hint).toContain('roles/storage.objectAdmin');
  });

  test('401, 404, 429 and network errors each get their own advice; unknown ones keep the server text', () => {
    expect(explainGoogleError(restError(401, { error: { code: 401, message: 'x' } }), { action: 'a' }).hint).toContain('gcloud auth application-default login');
    expect(explainGoogleError(restError(404, { error: { code: 404, message: 'Dataset gone' } }), { action: 'a' }).code).toBe('cloud.not_found');
    expect(explainGoogleError(restError(429, { error: { code: 429, message: 'q' } }), { action: 'a' }).code).toBe('cloud.quota');
    expect(explainGoogleError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), { action: 'a' }).code).toBe('cloud.network');
    expect(explainGoogleError(restError(400, { error: { code: 400, message: 'Bad field X' } }), { action: 'do it' }).message).toBe('Could not do it: HTTP 400: Bad field X');
  });

  test('gRPC-style numeric codes are mapped', () => {
    expect(parseGoogleError(Object.assign(new Error('x'), { code: 14 })).httpStatus).toBe(503);
    expect(parseGoogleError(Object.assign(new Error('x'), { code: 7 })).httpStatus).toBe(403);
  });
});

/**
 * Errors built by google-gax 5's own decoder (GoogleError.parseHttpError, the one its REST fallback and, for
 * gRPC, parseGRPCStatusDetails feed): plain message, gRPC code, ErrorInfo in reason / errorInfoMetadata,
 * details only as encoded Anys. The gax copy is the one @google-cloud/aiplatform loads.
 */
const gax = createRequire(createRequire(import.meta.url).resolve('@google-cloud/aiplatform'))('google-gax') as { GoogleError: { parseHttpError(json: unknown): Error } };
const errorInfo = (reason: string, metadata: Record<string, string>, message: string, code = 403, status = 'PERMISSION_DENIED'): Error =>
  gax.GoogleError.parseHttpError({ error: { code, status, message, details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com', metadata }] } });

describe('google-gax 5 errors: ErrorInfo read from err.reason / err.errorInfoMetadata', () => {
  test('the gax error carries what this test relies on (checked against the installed google-gax)', () => {
    const e = errorInfo('IAM_PERMISSION_DENIED', { permission: 'aiplatform.datasets.create' }, 'The caller does not have permission') as Error & Record<string, unknown>;
    expect(e).toMatchObject({ code: 7, reason: 'IAM_PERMISSION_DENIED', errorInfoMetadata: { permission: 'aiplatform.datasets.create' } });
    expect(e.message).toBe('The caller does not have permission');
  });

  test('a permission named only in the ErrorInfo is named in the error and the role follows from it', () => {
    const x = explainGoogleError(errorInfo('IAM_PERMISSION_DENIED', { permission: 'aiplatform.datasets.create', resource: 'projects/p1/locations/us-central1' }, 'The caller does not have permission'), { action: 'create the dataset', project: 'p1' });
    expect(x).toMatchObject({ code: 'cloud.permission_denied', item: 'aiplatform.datasets.create', hint: expect.stringContaining('--role=roles/aiplatform.user') });
  });

  test('a disabled API named only in the ErrorInfo (no telltale message text)', () => {
    const x = explainGoogleError(errorInfo('SERVICE_DISABLED', { service: 'aiplatform.googleapis.com', consumer: 'projects/42' }, 'Access denied.'), { action: 'list datasets', project: 'p1', service: 'storage.googleapis.com' });
    expect(x).toMatchObject({ code: 'cloud.service_disabled', item: 'aiplatform.googleapis.com', hint: 'Run `gcloud services enable aiplatform.googleapis.com --project p1`, wait a minute, and retry.' });
    expect(isRetryable(errorInfo('SERVICE_DISABLED', {}, 'x'))).toBe(false);
  });

  test('quota: the metric and limit from the ErrorInfo; a used-up resource quota is not retried, a rate limit is', () => {
    const q = errorInfo('RESOURCE_QUOTA_EXCEEDED', { quota_metric: 'aiplatform.googleapis.com/custom_model_training_cpus', quota_limit: 'CustomModelTrainingCPUsPerProjectPerRegion' }, 'Quota exceeded.', 429, 'RESOURCE_EXHAUSTED');
    const x = explainGoogleError(q, { action: 'create the pipeline', project: 'p1' });
    expect(x).toMatchObject({ code: 'cloud.quota', item: 'aiplatform.googleapis.com/custom_model_training_cpus', message: expect.stringContaining('limit CustomModelTrainingCPUsPerProjectPerRegion') });
    expect(isRetryable(q)).toBe(false);
    expect(isRetryable(errorInfo('RATE_LIMIT_EXCEEDED', { quota_metric: 'm' }, 'Too many requests', 429, 'RESOURCE_EXHAUSTED'))).toBe(true);
  });

  test('billing disabled and an expired access token each say what to run', () => {
    expect(explainGoogleError(errorInfo('BILLING_DISABLED', { service: 'aiplatform.googleapis.com' }, 'This API method requires billing to be enabled.'), { action: 'a', project: 'p1' })).toMatchObject({ code: 'cloud.billing_disabled', hint: expect.stringContaining('gcloud billing projects link p1') });
    expect(explainGoogleError(errorInfo('ACCESS_TOKEN_EXPIRED', { service: 'aiplatform.googleapis.com' }, 'Request had invalid authentication credentials.', 401, 'UNAUTHENTICATED'), { action: 'a', project: 'p1' })).toMatchObject({ code: 'cloud.unauthenticated', message: expect.stringContaining('access token has expired'), hint: expect.stringContaining('GOOGLE_OAUTH_ACCESS_TOKEN') });
  });
});

describe('retry', () => {
  test('408/429/5xx and resets are retryable; 400/403/404 are answers', () => {
    for (const c of [408, 429, 500, 502, 503, 504]) expect(isRetryable(restError(c, {}))).toBe(true);
    expect(isRetryable(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    for (const c of [400, 401, 403, 404, 409]) expect(isRetryable(restError(c, {}))).toBe(false);
  });

  test('full jitter stays within the exponential ceiling', () => {
    expect(backoffDelay(0, 100, 1000, () => 1)).toBe(100);
    expect(backoffDelay(3, 100, 1000, () => 1)).toBe(800);
    expect(backoffDelay(10, 100, 1000, () => 1)).toBe(1000);
    expect(backoffDelay(3, 100, 1000, () => 0.5)).toBe(400);
  });

  test('withRetry retries transient failures and gives up on the first permanent one', async () => {
    let n = 0;
    const v = await withRetry(async () => {
      if (++n < 3) throw restError(503, {});
      return 'ok';
    }, { baseMs: 1 });
    expect([v, n]).toEqual(['ok', 3]);
    n = 0;
    await expect(withRetry(async () => {
      n++;
      throw restError(403, {});
    }, { baseMs: 1 })).rejects.toBeDefined();
    expect(n).toBe(1);
  });

  test('an abort stops the waiting with a cancellation', async () => {
    const ac = new AbortController();
    const p = withRetry(async () => {
      throw restError(503, {});
    }, { baseMs: 10_000, signal: ac.signal, random: () => 1 });
    setTimeout(() => ac.abort(), 10);
    await expect(p).rejects.toMatchObject({ exitCode: 130 });
  });
});

describe('locations and endpoints', () => {
  test('bucket location compatible with the Vertex region', () => {
    expect(bucketLocationCompatible('US-CENTRAL1', 'us-central1')).toBe(true);
    expect(bucketLocationCompatible('US', 'us-east4')).toBe(true);
    expect(bucketLocationCompatible('EU', 'europe-west4')).toBe(true);
    expect(bucketLocationCompatible('NAM4', 'us-central1')).toBe(true);
    expect(bucketLocationCompatible('EUROPE-WEST4', 'us-central1')).toBe(false);
    expect(bucketLocationCompatible('US', 'europe-west4')).toBe(false);
  });

  test('vertex.apiEndpoint: regional default, bare host, or URL', () => {
    expect(vertexEndpoint({ region: 'europe-west4', vertex: {} })).toEqual({ host: 'europe-west4-aiplatform.googleapis.com', protocol: 'https' });
    expect(vertexEndpoint({ region: 'us-central1', vertex: { apiEndpoint: 'vertex.p.googleapis.com' } })).toEqual({ host: 'vertex.p.googleapis.com', protocol: 'https' });
    expect(vertexEndpoint({ region: 'us-central1', vertex: { apiEndpoint: 'http://127.0.0.1:9000' } })).toEqual({ host: '127.0.0.1', port: 9000, protocol: 'http' });
  });
});
