import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { decodeManifest, parseManifest } from '../../src/manifest/manifest.js';

const codes = (m: ReturnType<typeof parseManifest>): string[] => m.findings.map((f) => f.code);

describe('parseManifest', () => {
  it('reads BOM, CRLF, quoted fields with commas and newlines, and reports the starting line of each record', () => {
    const text = '\ufeffimage,label,note\r\na.jpg,cat,\r\n\r\n"b, c.jpg",bird,"multi\r\nline"\r\nd.jpg,dog,\r\n';
    const m = parseManifest(text, 'manifest.csv');
    expect(m.rows.map((r) => [r.image, r.label, r.line, r.extra.note])).toEqual([
      ['a.jpg', 'cat', 2, ''],
      ['b, c.jpg', 'bird', 4, 'multi\r\nline'],
      ['d.jpg', 'dog', 6, ''],
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
    const m = parseManifest('image,label,note\na.jpg,x,"x\ny"\nb.jpg,z,\n', 'm.csv');
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

  it('refuses a label holding a line break or another control character (any backend), naming the line', () => {
    const m = parseManifest('image,label\na.jpg,"two\nlines"\nb.jpg,"tab\there"\nc.jpg,"\u001b[31mred"\nd.jpg,cat\n', 'm.csv');
    expect(m.rows.map((r) => r.image)).toEqual(['d.jpg']);
    expect(m.findings.map((f) => [f.severity, f.code, f.line])).toEqual([
      ['error', 'label.control_character', 2],
      ['error', 'label.control_character', 4],
      ['error', 'label.control_character', 5],
    ]);
    expect(m.findings[0]!.message).toContain('"\\n"');
  });

  it('reads labels as NFC: "café" composed and decomposed is one class, and says they were merged', () => {
    const nfc = 'caf\u00e9';
    const nfd = 'cafe\u0301';
    const m = parseManifest(`image,label\na.jpg,${nfc}\nb.jpg,${nfd}\nc.jpg,${nfd}\nd.jpg,tea\n`, 'm.csv');
    expect(new Set(m.rows.map((r) => r.label))).toEqual(new Set([nfc, 'tea']));
    expect(m.findings.map((f) => [f.severity, f.code, f.line])).toEqual([['warning', 'label.unicode_merged', 2]]);
    expect(m.findings[0]!.message).toContain('lines 2, 3');
    // One spelling only, even if decomposed: nothing merged, nothing said.
    const one = parseManifest(`image,label\na.jpg,${nfd}\n`, 'm.csv');
    expect(one.rows[0]!.label).toBe(nfc);
    expect(one.findings).toEqual([]);
  });

  it('keeps image names exactly as written, trailing spaces included', () => {
    const m = parseManifest('image,label\n"photo .jpg",cat\nb.jpg ,dog\n', 'm.csv');
    expect(m.rows.map((r) => r.image)).toEqual(['photo .jpg', 'b.jpg ']);
  });
});

describe('decodeManifest', () => {
  const utf8 = 'image,label\ncaf\u00e9.jpg,caf\u00e9\n';
  it('reads UTF-8 with or without BOM as is', () => {
    expect(decodeManifest(Buffer.from(utf8), 'm.csv')).toEqual({ text: utf8, findings: [] });
    expect(decodeManifest(Buffer.from('\ufeff' + utf8), 'm.csv').text).toBe(utf8);
  });

  it('refuses Latin-1 naming the line and column of the first byte that is not UTF-8', () => {
    const latin1 = Buffer.from('image,label\na.jpg,cat\ncaf\u00e9.jpg,tea\n', 'latin1');
    try {
      decodeManifest(latin1, 'm.csv');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).code).toBe('manifest.encoding');
      expect((e as InputError).item).toBe('m.csv:3');
      expect((e as InputError).message).toContain('byte 0xe9 at column 4');
      expect((e as InputError).message).toContain('Latin-1');
    }
  });

  it('converts UTF-16 with a byte-order mark and says so; refuses UTF-16 without one', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(utf8, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    for (const [buf, name] of [[le, 'UTF-16LE'], [be, 'UTF-16BE']] as const) {
      const d = decodeManifest(buf, 'm.csv');
      expect(d.text).toBe(utf8);
      expect(d.findings.map((f) => [f.severity, f.code])).toEqual([['warning', 'manifest.encoding']]);
      expect(d.findings[0]!.message).toContain(name);
    }
    expect(() => decodeManifest(Buffer.from(utf8, 'utf16le'), 'm.csv')).toThrow(/UTF-16 without a byte-order mark/);
  });
});

