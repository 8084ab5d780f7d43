import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';

const root = join(__dirname, '..', '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

describe('deploy/', () => {
  it('compose.yaml holds Mattermost, PostgreSQL, Redis with AOF, the install step and the bridge', () => {
    const compose = YAML.parse(read('deploy/compose.yaml'));
    expect(Object.keys(compose.services).sort()).toEqual([
      'bridge',
      'bridge-install',
      'mattermost',
      'postgres',
      'redis',
    ]);
    expect(compose.services.mattermost.image).toMatch(/^mattermost\/mattermost-(team|enterprise)-edition:/);
    expect(compose.services.redis.command.join(' ')).toContain('--appendonly yes');
    expect(compose.services['bridge-install'].command[0]).toBe('install');
    expect(compose.services.bridge.command).toEqual(['serve']);
    expect(compose.services.bridge.depends_on['bridge-install'].condition).toBe('service_completed_successfully');
    expect(compose.services['bridge-install'].build.dockerfile).toBe('deploy/Dockerfile');
  });

  it('k8s manifests hold the split roles with probes', () => {
    const docs = YAML.parseAllDocuments(read('deploy/k8s/bridge.yaml')).map((d) => d.toJSON());
    const kinds = docs.map((d) => `${d.kind}/${d.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'ConfigMap/mattermost-mcp-bridge',
        'Secret/mattermost-mcp-bridge',
        'Deployment/mattermost-mcp-bridge-ingest',
        'Deployment/mattermost-mcp-bridge-worker',
        'Deployment/mattermost-mcp-bridge-mcp',
        'Service/mattermost-mcp-bridge',
        'StatefulSet/mattermost-mcp-bridge-redis',
      ]),
    );
    for (const role of ['ingest', 'worker', 'mcp']) {
      const dep = docs.find((d) => d.metadata.name === `mattermost-mcp-bridge-${role}`);
      const c = dep.spec.template.spec.containers[0];
      expect(c.args).toEqual(['serve', '--roles', role]);
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      expect(dep.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    }
    const ingest = docs.find((d) => d.metadata.name === 'mattermost-mcp-bridge-ingest');
    expect(ingest.spec.replicas).toBeGreaterThanOrEqual(2); // active + standby
    const svc = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'mattermost-mcp-bridge');
    expect(svc.spec.selector['app.kubernetes.io/component']).toBe('mcp');
  });

  it('the Dockerfile is multi-stage, non-root, health-checked, and its entrypoint is built from src/cli/main.ts', () => {
    const df = read('deploy/Dockerfile');
    expect(df.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(df).toMatch(/^USER node$/m);
    expect(df).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
    const entry = /^ENTRYPOINT \["node", "([^"]+)"\]/m.exec(df)?.[1];
    expect(entry).toBe('dist/cli/main.js');
    const build = JSON.parse(read('tsconfig.build.json')).compilerOptions;
    expect(build).toMatchObject({ rootDir: 'src', outDir: 'dist' });
    expect(existsSync(join(root, 'src', 'cli', 'main.ts'))).toBe(true);
    for (const copied of [...df.matchAll(/^COPY (?!--from)(?:--chown=\S+ )?(.+) \S+$/gm)].flatMap((m) =>
      m[1].split(' '),
    )) {
      expect(existsSync(join(root, copied))).toBe(true);
    }
  });
});
