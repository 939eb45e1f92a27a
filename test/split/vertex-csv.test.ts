import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { formatVertexCsv, vertexImageUri } from '../../src/split/vertex-csv.js';
import { InputError } from '../../src/core/errors.js';
import { neutraliseCell, restoreCell } from '../../src/manifest/csv-safety.js';

const VERTEX_LINE = /^(training|validation|test),gs:\/\/[a-z0-9][a-z0-9._-]*[a-z0-9]\/([A-Za-z0-9._\-/]+\/)?images\/[^,"\r\n]+,[^,"\r\n]+$/;

describe('Vertex import CSV', () => {
  it('writes exactly ML_USE,gs://BUCKET/PREFIX/images/NAME,LABEL per image, no header, LF endings', () => {
    const text = formatVertexCsv(
      [
        { image: 'ants/a1.jpg', label: 'ants', split: 'train' },
        { image: 'b 2.png', label: 'bees', split: 'validation' },
        { image: '-dash.jpg', label: 'bees', split: 'test' },
      ],
      { bucket: 'my-bucket', prefix: 'proj/v1' },
    );
    expect(text).toBe(
      'training,gs://my-bucket/proj/v1/images/ants/a1.jpg,ants\n' +
        'validation,gs://my-bucket/proj/v1/images/b 2.png,bees\n' +
        'test,gs://my-bucket/proj/v1/images/-dash.jpg,bees\n',
    );
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(VERTEX_LINE);
    // A CSV reader sees three plain fields per line.
    expect((parse(text) as string[][]).every((r) => r.length === 3)).toBe(true);
  });

  it('leaves out the prefix when it is empty and normalises Windows separators', () => {
    expect(vertexImageUri({ bucket: 'b-1', prefix: '' }, 'x\\y.jpg')).toBe('gs://b-1/images/x/y.jpg');
    expect(vertexImageUri({ bucket: 'b-1', prefix: 'p' }, './y.jpg')).toBe('gs://b-1/p/images/y.jpg');
  });

  it('refuses names and labels that would need quoting, naming them', () => {
    expect(() => formatVertexCsv([{ image: 'a,b.jpg', label: 'x', split: 'train' }], { bucket: 'bb-b', prefix: '' })).toThrow(InputError);
    expect(() => formatVertexCsv([{ image: 'a,b.jpg', label: 'x', split: 'train' }], { bucket: 'bb-b', prefix: '' })).toThrow(/a,b\.jpg/);
    expect(() => formatVertexCsv([{ image: 'a.jpg', label: 'x"y', split: 'test' }], { bucket: 'bb-b', prefix: '' })).toThrow(/x"y/);
  });
});

describe('formula neutralisation', () => {
  it('prefixes cells a spreadsheet would execute, and restores them exactly', () => {
    for (const v of ['=SUM(A1)', '+1', '-x.jpg', '@cmd', '\tx', "'quoted", "'=both"]) {
      const n = neutraliseCell(v);
      expect(n.startsWith("'")).toBe(true);
      expect(restoreCell(n)).toBe(v);
    }
    for (const v of ['ants/1.jpg', 'a=b', '', "it's"]) {
      expect(neutraliseCell(v)).toBe(v);
      expect(restoreCell(neutraliseCell(v))).toBe(v);
    }
  });
});
