import type { StepContext } from '../src/core/step.js';

/** What the router gives every step screen. Screens do no I/O themselves: they run steps and render events. */
export interface ScreenProps {
  ctx: StepContext;
  /** Only the active screen reads keys (the parent owns focus). */
  isActive: boolean;
  /** Terminal size, updated on resize. */
  columns: number;
  rows: number;
  /** Back to the home screen (Esc). */
  onBack(): void;
  /** The step finished; the router refreshes the home screen's status. */
  onDone(summary?: string): void;
  /** Opens another step's screen with its props (Tune → Publish); absent outside the wizard. */
  onOpen?(id: string, props?: Record<string, unknown>): void;
}
