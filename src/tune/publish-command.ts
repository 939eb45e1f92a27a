/**
 * The publish command for a run's saved thresholds, runnable where it is printed: it names the workspace
 * (-w) when that is not the current folder.
 */
export function publishCommand(root: string, run: string, cwd = process.cwd()): string {
  const w = cwd === root ? '' : ` -w ${/[\s'"$`\\]/.test(root) ? `'${root.replace(/'/g, `'\\''`)}'` : root}`;
  return `edgewise publish --model ${run}${w}`;
}
