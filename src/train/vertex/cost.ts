import type { Config } from '../../config/schema.js';
import { MODEL_TYPE_HELP } from '../../config/rules.js';
import { readPipeline } from './resources.js';
import type { Journal } from '../../core/journal.js';
import { TERMINAL_STATES } from '../../cloud/vertex.js';

/** What starting a Vertex training may cost, said before it starts (CLI prompt and wizard question). */
export interface TrainingCost {
  modelType: string;
  nodeHours: number;
  usdPerNodeHour: number;
  /** Budget × price: the most the training itself can bill. */
  maxUsd: number;
  /** Where the price comes from, with its date. */
  priceSource: string;
  lines: string[];
}

const usd = (x: number): string => `US$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export function trainingCost(config: Pick<Config, 'modelType' | 'budgetMilliNodeHours' | 'nodeHourPrice' | 'disableEarlyStopping'>): TrainingCost {
  const nodeHours = config.budgetMilliNodeHours / 1000;
  const p = config.nodeHourPrice;
  const maxUsd = nodeHours * p.usd;
  const priceSource = `${p.source ?? 'nodeHourPrice in edgewise.json'}${p.asOf ? `, as of ${p.asOf}` : ''}`;
  return {
    modelType: config.modelType,
    nodeHours,
    usdPerNodeHour: p.usd,
    maxUsd,
    priceSource,
    lines: [
      `Model type   ${config.modelType} (${MODEL_TYPE_HELP[config.modelType]})`,
      `Budget       ${nodeHours} node hours${config.disableEarlyStopping ? ' (early stopping off: all of it is used)' : ' (a ceiling: early stopping often ends sooner)'}`,
      `Price        ${usd(p.usd)} per node hour (${priceSource}; set nodeHourPrice in edgewise.json)`,
      `At most      ${usd(maxUsd)} for the training; cancelling later still bills the hours used.`,
    ],
  };
}

/**
 * Whether training now would start a new (billed) pipeline rather than reattach to one still running. The
 * journal's record may be stale; when unsure, it says yes, so the question is asked.
 */
export function wouldStartPipeline(journal: Journal, opts: { newPipeline?: boolean; force?: boolean } = {}): boolean {
  if (opts.newPipeline || opts.force) return true;
  const rec = readPipeline(journal);
  return !rec || TERMINAL_STATES.has(rec.state);
}
