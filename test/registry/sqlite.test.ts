import { registrySuite } from './suite.js';

// The default registry: ml/registry.db inside each test's workspace.
registrySuite('sqlite', async () => undefined);
