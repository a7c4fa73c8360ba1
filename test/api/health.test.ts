import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeServe } from '../../src/cli/serve.js';
import { validateConfig } from '../../src/pipeline/config.js';
import { tempDir } from '../helpers.js';

describe('GET /healthz', () => {
  it('says degraded when a source fails, 503 once stopping, and names nothing to the public', async () => {
    const dir = tempDir();
    const missing = join(dir, 'no-such-folder-secret-name');
    const config = validateConfig(
      { db: join(dir, 'h.db'), serve: { sources: [{ type: 'folder', name: 'secret-source', paths: [missing], intervalSeconds: 0.05 }] } },
      'health test',
    );
    const c = await composeServe({ config, env: {}, log: () => {} });
    try {
      c.service.start();
      await c.service.idle();
      const degraded = await c.app.request('/healthz');
      expect(degraded.status).toBe(200);
      const body = await degraded.text();
      expect(JSON.parse(body)).toEqual({ status: 'degraded', database: true, sources: { total: 1, failing: 1 } });
      expect(body).not.toContain('secret');
      await c.service.stop();
      const stopping = await c.app.request('/healthz');
      expect(stopping.status).toBe(503);
      expect(await stopping.json()).toMatchObject({ status: 'unavailable' });
    } finally {
      await c.shutdown();
    }
  });
});
