/** Shapes shared by the registry stores, publish and rollback. */

export interface Thresholds {
  tau: number;
  margin: number;
}

/** The metrics model.json carries (DESIGN.md); null when the model was published unevaluated. */
export interface PublishedMetrics {
  top1: number | null;
  top3: number | null;
  /** ECE at the shipped temperature (what the app gets). */
  ece: number | null;
  /** ECE of the raw probabilities, when a temperature other than 1 is shipped. */
  ece_before_temperature?: number | null;
  coverage: number | null;
  selective_accuracy: number | null;
}

/** One row of `model_registry`. Rows inserted by hand (the seed's INSERT) have nulls in the newer columns. */
export interface VersionRow {
  version: string;
  tflite_url: string;
  labels_sha256: string;
  metrics: Record<string, unknown> | null;
  tflite_sha256: string | null;
  thresholds: (Thresholds & { temperature?: number | null }) | null;
  created_at: string | null;
  published_by: string | null;
  /** The training run (model folder name) the version was published from. */
  source_run: string | null;
  /** True when published with --force-unevaluated. */
  unevaluated: boolean;
  /** SHA-256 of the stored artifact set's manifest: what rollback verifies against. */
  content_sha256: string | null;
}

export type NewVersion = Omit<VersionRow, 'created_at'> & { created_at: string };

export type RegistryEventKind = 'publish' | 'activate' | 'rollback';

export interface RegistryEvent {
  id: number;
  kind: RegistryEventKind;
  version: string;
  from_version: string | null;
  at: string;
  actor: string;
  details: Record<string, unknown> | null;
}

/** `public/models/model.json`: the contract with the app (DESIGN.md). */
export interface ModelJson {
  version: string;
  tflite_url: string;
  tflite_sha256: string;
  labels_url: string;
  labels_sha256: string;
  /** dtype (float32, or uint8 for the full-integer variant), range, and `quantization` {scale, zero_point} for integer inputs. */
  input: Record<string, unknown>;
  /** How the shipped file is quantized: none, int8-weights (float in/out) or int8 (full integer, uint8 in). */
  quantization?: string;
  /** Which of the run's model files this is (float32, int8-weights, int8). */
  model_variant?: string;
  thresholds: Thresholds;
  temperature: number;
  metrics: PublishedMetrics;
  created_at: string;
  /** Extras (the app ignores them): where it came from and whether it was evaluated. */
  source_run: string;
  backend: string | null;
  evaluated: boolean;
}
