/** The app's rule, the single definition shared by the engine, the brute force and the suggestion search. */
export function accepts(p1: number, p2: number, tau: number, margin: number): boolean {
  return p1 >= tau && p1 - p2 >= margin;
}

export function ratio(num: number, den: number): number | null {
  return den > 0 ? num / den : null;
}

/** Selective accuracy target check, written once so every search agrees on ties. */
export function meetsTarget(correct: number, accepted: number, target: number): boolean {
  return accepted > 0 && correct / accepted >= target;
}

export function withinFalseAccept(negAccepted: number, negN: number, limit: number | undefined): boolean {
  if (limit === undefined || negN === 0) return true;
  return negAccepted / negN <= limit;
}
