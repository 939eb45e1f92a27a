import { parseRegistryLocation, type RegistryStore } from './store.js';

/** Opens (and migrates) the store for a SQLite path or a postgres:// URL. Drivers load lazily. */
export async function openStore(location: string, opts: { timeoutMs?: number } = {}): Promise<RegistryStore> {
  const where = parseRegistryLocation(location);
  let store: RegistryStore;
  if (where.kind === 'postgres') {
    const { PostgresStore } = await import('./postgres-store.js');
    store = await PostgresStore.connect(where.url, opts.timeoutMs);
  } else {
    const { SqliteStore } = await import('./sqlite-store.js');
    store = SqliteStore.open(where.path);
  }
  try {
    await store.migrate();
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}
