import { createRequire } from 'node:module';
import { GoogleAuth, OAuth2Client, type AuthClient } from 'google-auth-library';
import { EdgewiseError } from '../core/errors.js';
import { ADC_LOGIN_HINT, type FoundCredentials } from './credentials.js';
import { parseGoogleError } from './google-errors.js';

const SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

/**
 * Auth clients for both SDKs built from the same credentials. The Vertex clients (google-gax) want the
 * google-auth-library 10 they pin; @google-cloud/storage 7 only understands its own v9 copy (a v10 client
 * silently sends no Authorization header there), so the storage side is built from that copy, resolved
 * the way storage itself resolves it.
 */
export interface CloudAuth {
  creds: FoundCredentials;
  vertex: AuthClient;
  /** A v9 GoogleAuth or OAuth2Client, handed to `new Storage({authClient})`. */
  storage: unknown;
  /** Fetches a token now: the preflight that turns "no/expired credentials" into a message. */
  check(): Promise<void>;
}

interface V9Module {
  GoogleAuth: new (opts: Record<string, unknown>) => unknown;
  OAuth2Client: new () => { setCredentials(c: Record<string, unknown>): void };
}

function storageAuthModule(): V9Module {
  const req = createRequire(import.meta.url);
  const storageEntry = req.resolve('@google-cloud/storage');
  return createRequire(storageEntry)('google-auth-library') as V9Module;
}

export async function openAuth(creds: FoundCredentials): Promise<CloudAuth> {
  const v9 = storageAuthModule();
  if (creds.source === 'access-token') {
    // No expiry_date: when this token was minted is unknown, so Google decides when it has expired (a 401,
    // explained as cloud.token_expired). A guessed expiry made the library try to renew a token it cannot
    // renew, dying with "No refresh token is set" while the token might still have been good.
    const credentials = { access_token: creds.accessToken };
    const vertex = new OAuth2Client();
    vertex.setCredentials(credentials);
    const storage = new v9.OAuth2Client();
    storage.setCredentials(credentials);
    return { creds, vertex, storage, check: async () => {} };
  }
  const fileOpts = creds.path ? { keyFilename: creds.path } : {};
  const ga = new GoogleAuth({ scopes: SCOPES, ...fileOpts });
  let vertex: AuthClient;
  try {
    vertex = await ga.getClient();
  } catch (e) {
    throw credentialFailure(e, creds);
  }
  const storage = new v9.GoogleAuth({ scopes: SCOPES, ...fileOpts });
  return {
    creds,
    vertex,
    storage,
    async check() {
      try {
        const t = await vertex.getAccessToken();
        if (!t.token) throw new Error('no access token returned');
      } catch (e) {
        throw credentialFailure(e, creds);
      }
    },
  };
}

/** What went wrong getting a token, said as what to run. */
export function credentialFailure(e: unknown, creds: FoundCredentials): EdgewiseError {
  const info = parseGoogleError(e);
  const where = creds.path ? ` from ${creds.path}` : creds.source === 'metadata' ? ' from the metadata server' : '';
  const text = `${info.message} ${String((e as { response?: { data?: unknown } })?.response?.data ? JSON.stringify((e as { response: { data: unknown } }).response.data) : '')}`;
  if (/invalid_grant|invalid_rapt|reauth|expired|revoked/i.test(text)) {
    return new EdgewiseError(`The Google credentials${where} have expired or were revoked.`, {
      code: 'cloud.credentials_expired',
      hint: creds.type === 'service_account' ? 'Create a new key for the service account and point GOOGLE_APPLICATION_CREDENTIALS at it.' : 'Run `gcloud auth application-default login` again.',
      cause: e,
    });
  }
  if (/Could not load the default credentials|Unable to detect a Project Id/i.test(text) || creds.source === 'metadata') {
    return new EdgewiseError('No usable Google Cloud credentials found (and no metadata server answered).', {
      code: 'cloud.no_credentials',
      hint: ADC_LOGIN_HINT,
      cause: e,
    });
  }
  return new EdgewiseError(`Could not get an access token${where}: ${info.message}`, {
    code: 'cloud.credentials_failed',
    ...(creds.path ? { item: creds.path } : {}),
    hint: `${ADC_LOGIN_HINT} If this is a network problem, check the connection and retry.`,
    cause: e,
  });
}
