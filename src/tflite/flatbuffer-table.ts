import { ByteBuffer } from 'flatbuffers';

/**
 * Minimal hand-rolled flatbuffer table accessor over `flatbuffers`' ByteBuffer: fields are addressed by
 * their schema field id (vtable slot = 4 + 2·id), so a reader needs no generated code.
 */
export class FbTable {
  constructor(
    readonly bb: ByteBuffer,
    readonly pos: number,
  ) {
    // ByteBuffer reads past the end as zeros: check every position so a truncated file fails loudly.
    inBounds(bb, pos, 4);
    inBounds(bb, pos - bb.readInt32(pos), 4);
  }

  static root(bb: ByteBuffer): FbTable {
    return new FbTable(bb, bb.readInt32(bb.position()) + bb.position());
  }

  /** Offset of the field relative to the table, 0 when the field is absent. */
  private field(id: number): number {
    const o = this.bb.__offset(this.pos, 4 + 2 * id);
    if (o) inBounds(this.bb, this.pos + o, 1);
    return o;
  }

  has(id: number): boolean {
    return this.field(id) !== 0;
  }

  int8(id: number, dflt = 0): number {
    const o = this.field(id);
    return o ? this.bb.readInt8(this.pos + o) : dflt;
  }
  uint8(id: number, dflt = 0): number {
    const o = this.field(id);
    return o ? this.bb.readUint8(this.pos + o) : dflt;
  }
  int32(id: number, dflt = 0): number {
    const o = this.field(id);
    return o ? this.bb.readInt32(this.pos + o) : dflt;
  }
  uint32(id: number, dflt = 0): number {
    const o = this.field(id);
    return o ? this.bb.readUint32(this.pos + o) : dflt;
  }
  uint64(id: number, dflt = 0n): bigint {
    const o = this.field(id);
    return o ? this.bb.readUint64(this.pos + o) : dflt;
  }
  float32(id: number, dflt = 0): number {
    const o = this.field(id);
    return o ? this.bb.readFloat32(this.pos + o) : dflt;
  }
  bool(id: number, dflt = false): boolean {
    const o = this.field(id);
    return o ? this.bb.readInt8(this.pos + o) !== 0 : dflt;
  }
  string(id: number): string | undefined {
    const o = this.field(id);
    if (!o) return undefined;
    inBounds(this.bb, this.pos + o, 4);
    const at = this.pos + o + this.bb.readInt32(this.pos + o);
    inBounds(this.bb, at, 4 + this.bb.readInt32(at));
    return this.bb.__string(this.pos + o) as string;
  }
  table(id: number): FbTable | undefined {
    const o = this.field(id);
    return o ? new FbTable(this.bb, this.bb.__indirect(this.pos + o)) : undefined;
  }

  /** Start (absolute) and length of a vector field; length 0 when absent. */
  vector(id: number, elemSize = 4): { start: number; length: number } {
    const o = this.field(id);
    if (!o) return { start: 0, length: 0 };
    inBounds(this.bb, this.pos + o, 4);
    const start = this.bb.__vector(this.pos + o);
    const length = this.bb.__vector_len(this.pos + o);
    inBounds(this.bb, start - 4, 4 + length * elemSize);
    return { start, length };
  }
  tables(id: number): FbTable[] {
    const { start, length } = this.vector(id);
    return Array.from({ length }, (_, i) => new FbTable(this.bb, this.bb.__indirect(start + 4 * i)));
  }
  strings(id: number): string[] {
    const { start, length } = this.vector(id);
    return Array.from({ length }, (_, i) => {
      const at = start + 4 * i + this.bb.readInt32(start + 4 * i);
      inBounds(this.bb, at, 4 + this.bb.readInt32(at));
      return this.bb.__string(start + 4 * i) as string;
    });
  }
  int32s(id: number): number[] {
    const { start, length } = this.vector(id);
    return Array.from({ length }, (_, i) => this.bb.readInt32(start + 4 * i));
  }
  float32s(id: number): number[] {
    const { start, length } = this.vector(id);
    return Array.from({ length }, (_, i) => this.bb.readFloat32(start + 4 * i));
  }
  int64s(id: number): number[] {
    const { start, length } = this.vector(id, 8);
    return Array.from({ length }, (_, i) => Number(this.bb.readInt64(start + 8 * i)));
  }
  /** A [ubyte] vector as a view on the underlying bytes (no copy). */
  bytes(id: number): Uint8Array {
    const { start, length } = this.vector(id, 1);
    const all = this.bb.bytes();
    return all.subarray(start, start + length);
  }
}

export function byteBufferOf(bytes: Uint8Array): ByteBuffer {
  return new ByteBuffer(bytes);
}

function inBounds(bb: ByteBuffer, pos: number, size: number): void {
  if (!Number.isInteger(pos) || pos < 0 || size < 0 || pos + size > bb.capacity()) {
    throw new RangeError(`offset ${pos}+${size} outside the ${bb.capacity()}-byte buffer`);
  }
}
