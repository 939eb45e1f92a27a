import type { Command } from 'commander';

/** --project/--region/--bucket/--prefix, shared by the cloud commands and merged over edgewise.json. */
export interface CloudFlags {
  project?: string;
  region?: string;
  bucket?: string;
  prefix?: string;
}

export function addCloudFlags(cmd: Command): Command {
  return cmd
    .option('--project <id>', 'Google Cloud project (default: config, GOOGLE_CLOUD_PROJECT, key file, gcloud config)')
    .option('--region <region>', 'Vertex AI region (default: config region, us-central1)')
    .option('--bucket <name>', 'Cloud Storage bucket (default: config bucket)')
    .option('--prefix <prefix>', 'object prefix inside the bucket (default: config prefix)');
}

export function cloudConfigFlags(f: CloudFlags): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (f.project !== undefined) out.project = f.project;
  if (f.region !== undefined) out.region = f.region;
  if (f.bucket !== undefined) out.bucket = f.bucket;
  if (f.prefix !== undefined) out.prefix = f.prefix;
  return out;
}
