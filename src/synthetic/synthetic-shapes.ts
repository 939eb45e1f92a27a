import { pick, randomInt } from '../core/random.js';

/**
 * SVG drawings for the synthetic classes. A class is a shape family with a texture; colour, pose, scale,
 * position, background and clutter vary per image, so a model must learn the shape, not one pixel value.
 */
export interface SyntheticClass {
  label: string;
  draw(rand: () => number, cx: number, cy: number, r: number, fill: string): string;
}

function polygon(cx: number, cy: number, r: number, points: Array<[number, number]>): string {
  return points.map(([a, k]) => `${(cx + k * r * Math.cos(a)).toFixed(1)},${(cy + k * r * Math.sin(a)).toFixed(1)}`).join(' ');
}

function regular(n: number, inner?: number): Array<[number, number]> {
  const pts: Array<[number, number]> = [];
  const steps = inner === undefined ? n : n * 2;
  for (let i = 0; i < steps; i++) {
    const a = (i / steps) * Math.PI * 2 - Math.PI / 2;
    pts.push([a, inner !== undefined && i % 2 === 1 ? inner : 1]);
  }
  return pts;
}

export const SYNTHETIC_CLASSES: SyntheticClass[] = [
  { label: 'circle', draw: (_r, cx, cy, r, fill) => `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${fill}"/>` },
  { label: 'triangle', draw: (_r, cx, cy, r, fill) => `<polygon points="${polygon(cx, cy, r, regular(3))}" fill="${fill}"/>` },
  { label: 'star', draw: (_r, cx, cy, r, fill) => `<polygon points="${polygon(cx, cy, r, regular(5, 0.45))}" fill="${fill}"/>` },
  {
    label: 'ring',
    draw: (_r, cx, cy, r, fill) => `<circle cx="${cx}" cy="${cy}" r="${r * 0.75}" fill="none" stroke="${fill}" stroke-width="${(r * 0.35).toFixed(1)}"/>`,
  },
  {
    label: 'stripes',
    draw: (rand, cx, cy, r, fill) => {
      const bars = randomInt(rand, 3, 5);
      let s = '';
      for (let i = 0; i < bars; i++) {
        const x = cx - r + (i * 2 * r) / bars;
        s += `<rect x="${x.toFixed(1)}" y="${cy - r}" width="${((r / bars) * 1.0).toFixed(1)}" height="${2 * r}" fill="${fill}"/>`;
      }
      return s;
    },
  },
  {
    label: 'cross',
    draw: (_r, cx, cy, r, fill) =>
      `<rect x="${cx - r}" y="${cy - r * 0.25}" width="${2 * r}" height="${r * 0.5}" fill="${fill}"/><rect x="${cx - r * 0.25}" y="${cy - r}" width="${r * 0.5}" height="${2 * r}" fill="${fill}"/>`,
  },
  { label: 'square', draw: (_r, cx, cy, r, fill) => `<rect x="${cx - r * 0.8}" y="${cy - r * 0.8}" width="${r * 1.6}" height="${r * 1.6}" fill="${fill}"/>` },
  { label: 'hexagon', draw: (_r, cx, cy, r, fill) => `<polygon points="${polygon(cx, cy, r, regular(6))}" fill="${fill}"/>` },
];

function hsl(h: number, s: number, l: number): string {
  return `hsl(${Math.round(h)},${Math.round(s)}%,${Math.round(l)}%)`;
}

/** One full SVG picture of a class member. */
export function drawSample(cls: SyntheticClass, rand: () => number, width: number, height: number): string {
  const bgHue = rand() * 360;
  const bg1 = hsl(bgHue, 20 + rand() * 30, 55 + rand() * 30);
  const bg2 = hsl(bgHue + 40 + rand() * 60, 20 + rand() * 30, 45 + rand() * 35);
  const side = Math.min(width, height);
  const r = side * (0.22 + rand() * 0.14);
  const cx = width / 2 + (rand() - 0.5) * (width - 2 * r) * 0.6;
  const cy = height / 2 + (rand() - 0.5) * (height - 2 * r) * 0.6;
  const angle = rand() * 360;
  // The object's colour contrasts with the background; its hue is free, so colour alone never gives the class.
  const fill = hsl(bgHue + 150 + rand() * 60, 55 + rand() * 40, 20 + rand() * 30);
  let clutter = '';
  for (let i = 0, n = randomInt(rand, 2, 6); i < n; i++) {
    const x = rand() * width;
    const y = rand() * height;
    const s = 2 + rand() * side * 0.05;
    clutter += pick(rand, [
      `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${s.toFixed(1)}" fill="${hsl(rand() * 360, 40, 50)}" opacity="0.6"/>`,
      `<line x1="${x.toFixed(1)}" y1="${y.toFixed(1)}" x2="${(x + s * 4).toFixed(1)}" y2="${(y + s).toFixed(1)}" stroke="${hsl(rand() * 360, 30, 40)}" stroke-width="1.5" opacity="0.6"/>`,
    ]);
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<defs><linearGradient id="g" x1="0" y1="0" x2="${rand().toFixed(2)}" y2="1"><stop offset="0" stop-color="${bg1}"/><stop offset="1" stop-color="${bg2}"/></linearGradient></defs>` +
    `<rect width="100%" height="100%" fill="url(#g)"/>${clutter}` +
    `<g transform="rotate(${angle.toFixed(1)} ${cx.toFixed(1)} ${cy.toFixed(1)})">${cls.draw(rand, cx, cy, r, fill)}</g>` +
    `</svg>`
  );
}
