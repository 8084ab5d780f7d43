import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { createLogger } from '../../src/logging/logger';
import { httpLogger } from '../../src/logging/http';
import { loadConfig } from '../../src/config/load';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, destination };
}

describe('logger redaction', () => {
  const token = 'mm-token-abcdefghijklmnopqrstuvwxyz';
  const apiKey = 'agent-key-0123456789abcdefgh';
  const slash = 'slashtok-qwertyuiopasdfghjkl';
  const config = loadConfig({
    env: {
      MATTERMOST_URL: 'http://mm.local',
      MATTERMOST_TOKEN: token,
      BRIDGE_API_KEYS: `agent:${apiKey}:read+write`,
      BRIDGE_SLASH_TOKENS: slash,
    },
  });

  it('never writes a secret, whichever way it reaches the log', async () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'trace', secrets: config.secrets, destination });
    log.info({ config: { MATTERMOST_TOKEN: token, BRIDGE_API_KEYS: process.env.X ?? apiKey } }, 'config loaded');
    log.info({ token, apiKey, nested: { token: slash } }, 'fields');
    log.warn(`message that embeds ${token} and ${apiKey} and ${slash}`);
    log.error(new Error(`failure with key ${apiKey}`));
    log.debug({ headers: { authorization: `Bearer ${apiKey}` } }, 'headers');
    log.info(`free text Bearer someOtherToken1234 and Token ${slash}`);

    const app = express();
    app.use(httpLogger(log));
    app.post('/mcp', (_req, res) => {
      res.status(401).json({ error: 'no' });
    });
    const res = await request(app)
      .post(`/mcp?access_token=${token}`)
      .set('X-Request-ID', 'req-123')
      .set('Authorization', `Bearer ${apiKey}`)
      .set('Cookie', `MMAUTHTOKEN=${token}`)
      .send({ token: slash });
    expect(res.headers['x-request-id']).toBe('req-123');

    const all = lines.join('');
    expect(lines.length).toBeGreaterThanOrEqual(7);
    for (const secret of [token, apiKey, slash, 'someOtherToken1234']) {
      expect(all).not.toContain(secret);
    }
    expect(all).toContain('[REDACTED]');
    expect(all).toContain('config loaded');
    expect(all).toContain('"id":"req-123"');
  });
});
