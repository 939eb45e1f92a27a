import type { ComponentType } from 'react';
import type { ScreenProps } from './types.js';

/**
 * The wizard's step screens in job order. `steps` are the journal step names whose state the home screen
 * shows for this entry (done / out of date / to do).
 */
export interface ScreenEntry {
  id: string;
  title: string;
  /** One line for the home screen: what the step does. */
  summary: string;
  steps: string[];
  component: ComponentType<ScreenProps>;
}

/** Each step's screen adds itself here, in job order. */
export const screens: ScreenEntry[] = [];
