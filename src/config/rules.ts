/** Facts from Google's docs that validation checks against. */

/** Regions where Vertex AI AutoML image training is offered (Vertex AI locations page). */
export const VERTEX_REGIONS = [
  'us-central1', 'us-east1', 'us-east4', 'us-east5', 'us-south1', 'us-west1', 'us-west2', 'us-west3', 'us-west4',
  'northamerica-northeast1', 'northamerica-northeast2', 'southamerica-east1', 'southamerica-west1',
  'europe-central2', 'europe-north1', 'europe-southwest1', 'europe-west1', 'europe-west2', 'europe-west3',
  'europe-west4', 'europe-west6', 'europe-west8', 'europe-west9', 'europe-west12',
  'asia-east1', 'asia-east2', 'asia-northeast1', 'asia-northeast2', 'asia-northeast3', 'asia-south1',
  'asia-southeast1', 'asia-southeast2', 'australia-southeast1', 'australia-southeast2',
  'me-central1', 'me-central2', 'me-west1', 'africa-south1',
] as const;

/** The AutoML image model types that export to .tflite (CLOUD does not export). */
export const MOBILE_MODEL_TYPES = ['MOBILE_TF_LOW_LATENCY_1', 'MOBILE_TF_VERSATILE_1', 'MOBILE_TF_HIGH_ACCURACY_1'] as const;
export type MobileModelType = (typeof MOBILE_MODEL_TYPES)[number];

export const MODEL_TYPE_HELP: Record<MobileModelType, string> = {
  MOBILE_TF_LOW_LATENCY_1: 'fastest on device, a little less accurate',
  MOBILE_TF_VERSATILE_1: 'balanced speed and accuracy (recommended)',
  MOBILE_TF_HIGH_ACCURACY_1: 'most accurate, slower and larger on device',
};

/** budgetMilliNodeHours for mobile model types: 1,000 to 100,000 (1 to 100 node hours); 24,000 by default. */
export const MOBILE_BUDGET = { min: 1_000, max: 100_000, default: 24_000 } as const;

/**
 * What a node hour of AutoML image classification training of a mobile (edge) model costs, for the question
 * asked before a pipeline starts. Read from the Vertex AI pricing page (cloud.google.com/vertex-ai/pricing,
 * "Vertex AutoML models", Image data, "Training (Edge on-device model)", classification: US$18.00 per node
 * hour; the non-edge "Training" row is US$3.465) on the date below. Prices change: `nodeHourPrice` in
 * edgewise.json overrides it.
 */
export const NODE_HOUR_PRICE_DEFAULT = {
  usd: 18,
  asOf: '2026-12-06',
  source: 'Vertex AI pricing page, AutoML image classification, Training (Edge on-device model)',
} as const;

/**
 * Cloud Storage bucket naming rules. Returns the broken rule, or undefined when the name is valid.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.startsWith('gs://')) return 'give the bucket name without gs://';
  if (!/^[a-z0-9._-]+$/.test(name)) return 'only lowercase letters, digits, dashes (-), underscores (_) and dots (.) are allowed';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'must start and end with a letter or digit';
  const dotted = name.includes('.');
  if (!dotted && (name.length < 3 || name.length > 63)) return 'must be 3 to 63 characters long';
  if (dotted) {
    if (name.length > 222) return 'names with dots may be at most 222 characters long';
    if (name.split('.').some((part) => part.length === 0 || part.length > 63)) return 'each dot-separated part must be 1 to 63 characters';
  }
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'cannot be an IP address';
  if (name.startsWith('goog')) return 'cannot start with "goog"';
  if (/g[o0][o0]g[l1]e/.test(name)) return 'cannot contain "google" or close misspellings';
  return undefined;
}

/** Google Cloud project ids: 6–30 chars, lowercase letters, digits and hyphens, starting with a letter. */
export function projectIdProblem(id: string): string | undefined {
  if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(id)) {
    return 'must be 6 to 30 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen';
  }
  return undefined;
}
