import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../../core/atomic.js';
import { sha256 } from '../../core/hash.js';

/** `orig` = the image as is; `flip` = its mirror image (augmentation). */
export type View = 'orig' | 'flip';

/**
 * Embeddings on disk, one small file per image and view, under a folder per feature key (backbone,
 * preprocessing, layers, pooling). The image is named by its content hash, so renaming or moving a file
 * costs nothing and adding 5 images embeds exactly those 5.
 */
export class EmbeddingCache {
  readonly dir: string;
  private ready: Promise<void> | undefined;
  constructor(cacheRoot: string, readonly featureKey: string) {
    this.dir = join(cacheRoot, 'embeddings', sha256(featureKey).slice(0, 16));
  }

  private file(contentHash: string, view: View): string {
    return join(this.dir, contentHash.slice(0, 2), `${contentHash}${view === 'flip' ? '.flip' : ''}.f32`);
  }

  async get(contentHash: string, view: View): Promise<Float32Array | undefined> {
    try {
      const buf = await readFile(this.file(contentHash, view));
      if (buf.byteLength % 4 !== 0 || buf.byteLength === 0) return undefined;
      // Copy into an aligned buffer (a Buffer's offset may not be a multiple of 4).
      return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async put(contentHash: string, view: View, vec: Float32Array): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(this.dir, { recursive: true });
      await writeJsonAtomic(join(this.dir, 'key.json'), { featureKey: this.featureKey });
    })();
    await this.ready;
    await writeFileAtomic(this.file(contentHash, view), new Uint8Array(vec.buffer, vec.byteOffset, vec.byteLength));
  }
}
