import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { parseManifest } from '../../src/dataset/manifest.js';

const codes = (m: ReturnType<typeof parseManifest>): string[] => m.findings.map((f) => f.code);

describe('parseManifest', () => {
  it('reads BOM, CRLF, quoted fields with commas and newlines, and reports the starting line of each record', () => {
    const text = '\ufeffimage,label\r\na.jpg,cat\r\n\r\n"b, c.jpg","multi\r\nline"\r\nd.jpg,dog\r\n';
    const m = parseManifest(text, 'manifest.csv');
    expect(m.rows.map((r) => [r.image, r.label, r.line])).toEqual([
      ['a.jpg', 'cat', 2],
      ['b, c.jpg', 'multi\r\nline', 4],
      ['d.jpg', 'dog', 6],
    ]);
    expect(m.findings).toEqual([]);
  });

  it('reads a CRLF manifest with LF rows appended (echo >> manifest.csv) as separate rows, lines counted', () => {
    const m = parseManifest('image,label\r\na.jpg,ants\r\nb.jpg,bees\r\nc.jpg,bees\nd.jpg,ants\n', 'm.csv');
    expect(m.rows.map((r) => [r.image, r.label, r.line])).toEqual([
      ['a.jpg', 'ants', 2],
      ['b.jpg', 'bees', 3],
      ['c.jpg', 'bees', 4],
      ['d.jpg', 'ants', 5],
    ]);
    expect(m.findings).toEqual([]);
  });

  it('counts lines the same with LF endings and a newline inside quotes', () => {
    const m = parseManifest('image,label\na.jpg,"x\ny"\nb.jpg,z\n', 'm.csv');
    expect(m.rows.map((r) => r.line)).toEqual([2, 4]);
  });

  it('accepts the header aliases, any case and spacing, keeps split and extra columns, trims labels', () => {
    const m = parseManifest(' File , LABEL ,Split,photographer\nx/a.png,  cat ,train,ann\n', 'm.csv');
    expect(m.imageColumn).toBe('file');
    expect(m.hasSplit).toBe(true);
    expect(m.extraColumns).toEqual(['photographer']);
    expect(m.rows[0]).toMatchObject({ image: 'x/a.png', label: 'cat', split: 'train', extra: { photographer: 'ann' } });
  });

  it('throws an InputError naming the header line when a column is missing', () => {
    expect(() => parseManifest('name,label\na.jpg,cat\n', 'm.csv')).toThrow(InputError);
    try {
      parseManifest('image,class\na.jpg,cat\n', 'm.csv');
    } catch (e) {
      expect((e as InputError).item).toBe('m.csv:1');
      expect((e as InputError).message).toContain('"label"');
    }
  });

  it('throws with the line of an unclosed quote', () => {
    try {
      parseManifest('image,label\na.jpg,cat\n"b.jpg,dog\n', 'm.csv');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).code).toBe('manifest.invalid_csv');
    }
  });

  it('rejects rows with no image or no label, with their line', () => {
    const m = parseManifest('image,label\n,cat\nb.jpg,\nc.jpg,dog\n', 'm.csv');
    expect(m.findings.map((f) => [f.code, f.line, f.severity])).toEqual([
      ['manifest.missing_image', 2, 'error'],
      ['manifest.missing_label', 3, 'error'],
    ]);
    expect(m.rows.map((r) => r.image)).toEqual(['c.jpg']);
  });

  it('refuses paths that leave the images folder: .., absolute, drive letters, URLs', () => {
    const m = parseManifest('image,label\n../secret.jpg,a\n/etc/passwd,a\nC:\\x\\y.jpg,a\na/../../b.jpg,a\ngs://bucket/x.jpg,a\nok/../fine.jpg,a\n', 'm.csv');
    expect(m.findings.map((f) => [f.code, f.line])).toEqual([
      ['path.escape', 2],
      ['path.absolute', 3],
      ['path.absolute', 4],
      ['path.escape', 5],
      ['path.url', 6],
    ]);
    expect(m.rows.map((r) => r.image)).toEqual(['fine.jpg']);
  });

  it('normalises separators so the same image is recognised when repeated', () => {
    const m = parseManifest('image,label\nants\\a.jpg,ant\n./ants/a.jpg,ant\nants/b.jpg,ant\nants/b.jpg,bee\n', 'm.csv');
    expect(m.findings.map((f) => [f.code, f.line, f.severity])).toEqual([
      ['manifest.repeated_row', 3, 'warning'],
      ['manifest.conflicting_rows', 5, 'error'],
    ]);
    // An image listed under two labels is rejected entirely.
    expect(m.rows.map((r) => r.image)).toEqual(['ants/a.jpg']);
  });

  it('rejects split values that are not train/validation/test', () => {
    const m = parseManifest('image,label,split\na.jpg,x,TRAIN\nb.jpg,x,val\nc.jpg,x,\nd.jpg,x,holdout\n', 'm.csv');
    expect(codes(m)).toEqual(['manifest.bad_split']);
    expect(m.findings[0]!.line).toBe(5);
    expect(m.rows.map((r) => r.split)).toEqual(['TRAIN', 'val', '']);
  });

  it('throws on an empty file', () => {
    expect(() => parseManifest('\ufeff\r\n\r\n', 'm.csv')).toThrow(/empty/);
  });
});
