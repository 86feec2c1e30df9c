import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { authServerConfigSchema, gatewayConfigSchema, loadConfig, sessionStoreConfigSchema } from '@airlock/config';

// The Kubernetes manifests are rendered the way an operator applies them (`kubectl kustomize`, offline)
// and every object is validated against the Kubernetes API schemas (kubernetes-models). The Helm chart
// cannot be rendered here (no helm binary in either registry): its values are checked against its
// schema and its objects are compared with the manifests' kinds, which is as far as we can go offline.
const deployDir = fileURLToPath(new URL('..', import.meta.url));
const manifestsDir = `${deployDir}kubernetes`;
const chartDir = `${deployDir}helm/airlock`;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- walked field by field below
  data?: Record<string, string>;
}

function render(): K8sObject[] {
  const output = execFileSync('kubectl', ['kustomize', manifestsDir], { encoding: 'utf8' });
  return parseAllDocuments(output).map((doc) => doc.toJS() as K8sObject);
}

const objects = render();
const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);
const named = (kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return found;
};
const services = ['auth-server', 'session-store', 'mcp-gateway'] as const;

/** The kubernetes-models class for an object, e.g. apps/v1 Deployment -> kubernetes-models/apps/v1/Deployment. */
async function validate(object: K8sObject): Promise<void> {
  const group = object.apiVersion.includes('/') ? object.apiVersion : `v1`;
  const module = (await import(/* @vite-ignore */ `kubernetes-models/${group}/${object.kind}`)) as Record<string, new (o: unknown) => { validate(): void }>;
  const Model = module[object.kind];
  if (!Model) throw new Error(`kubernetes-models has no ${object.apiVersion} ${object.kind}`);
  new Model(object).validate();
}

describe('Kubernetes manifests (kubectl kustomize)', () => {
  it('render into valid Kubernetes objects', async () => {
    expect(objects.length).toBeGreaterThan(10);
    for (const object of objects) await expect(validate(object), `${object.kind} ${object.metadata.name}`).resolves.toBeUndefined();
  });

  it('the validation bites: a malformed object is refused', async () => {
    const deployment = structuredClone(named('Deployment', 'mcp-gateway'));
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'three thousand';
    await expect(validate(deployment)).rejects.toThrow(/containerPort/);
  });

  it.each(services)('%s: probes on /readyz and /healthz, hardened, migrations first, secrets from the Secret', (name) => {
    const pod = named('Deployment', name).spec.template.spec;
    const [container] = pod.containers;
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.ports).toContainEqual(expect.objectContaining({ name: 'http' }));
    // The metrics port the ConfigMap sets is the one the pod declares and Prometheus is told to scrape.
    expect(container.ports).toContainEqual({ name: 'metrics', containerPort: 9464 });
    expect(named('Deployment', name).spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9464' });
    expect(container.command).toEqual(['node', `apps/${name}/dist/main.js`]);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.initContainers.map((c: { command: string[] }) => c.command)).toEqual([['node', 'libs/db/dist/cli/migrate.js']]);
    expect(container.envFrom).toEqual([{ configMapRef: { name: 'airlock-config' } }, { secretRef: { name: 'airlock-secrets' } }]);
    expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': name });
  });

  it.each(services)('%s: a Service and a PodDisruptionBudget select its pods', (name) => {
    const podLabels = named('Deployment', name).spec.template.metadata.labels;
    const selects = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => podLabels[k] === v);
    expect(selects(named('Service', name).spec.selector)).toBe(true);
    expect(selects(named('PodDisruptionBudget', name).spec.selector.matchLabels)).toBe(true);
    expect(named('PodDisruptionBudget', name).spec.maxUnavailable).toBe(1);
  });

  it('the gateway outlives its drain: preStop pause + 10 s in-flight grace + 10 s stdio release fit in its grace period', () => {
    const pod = named('Deployment', 'mcp-gateway').spec.template.spec;
    const preStopSeconds = Number(pod.containers[0].lifecycle.preStop.exec.command[1]);
    // 10 s + 10 s: GatewayTuning.shutdownGraceMs (apps/mcp-gateway/src/start-mcp-gateway.ts), used for both.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + 10 + 10);
  });

  it('autoscales the gateway only', () => {
    const hpas = ofKind('HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.spec.scaleTargetRef)).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'mcp-gateway' }]);
    expect(hpas[0]?.spec.minReplicas).toBeGreaterThanOrEqual(2);
  });

  it('keeps the session store internal: only the auth server and the gateway reach it', () => {
    const policy = named('NetworkPolicy', 'session-store');
    expect(policy.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'session-store' });
    // Two rules: the service port from the auth server and the gateway only; the metrics port (scrapes).
    const [service, scrapes] = policy.spec.ingress;
    expect(policy.spec.ingress).toHaveLength(2);
    expect(service.from).toEqual([{ podSelector: { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['auth-server', 'mcp-gateway'] }] } }]);
    expect(service.ports).toEqual([{ port: 3002, protocol: 'TCP' }]);
    expect(scrapes).toEqual({ ports: [{ port: 9464, protocol: 'TCP' }] });
    expect(named('Ingress', 'airlock').spec.rules.flatMap((r: { http: { paths: { backend: { service: { name: string } } }[] } }) => r.http.paths.map((p) => p.backend.service.name))).not.toContain('session-store');
  });

  it('the ConfigMap is a configuration every service boots with (known keys only, valid values)', () => {
    const data = named('ConfigMap', 'airlock-config').data ?? {};
    // What the `airlock-secrets` Secret supplies, as placeholders of the right shape.
    const secrets = {
      AIRLOCK_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
      AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID: 'airlock-admin',
      AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET: 'x'.repeat(32),
      DATABASE_URL: 'postgresql://airlock@postgres:5432/airlock',
      REDIS_URL: 'redis://redis:6379',
    };
    const schemas = [authServerConfigSchema, gatewayConfigSchema, sessionStoreConfigSchema];
    for (const schema of schemas) expect(() => loadConfig(schema, { ...data, ...secrets })).not.toThrow();
    const known = new Set(schemas.flatMap((schema) => Object.keys(objectShape(schema))));
    expect(Object.keys(data).filter((key) => !known.has(key))).toEqual([]);
  });
});

/** The keys a config schema reads (its input object, under any transform). */
function objectShape(schema: unknown): Record<string, unknown> {
  let node = schema as { shape?: Record<string, unknown>; in?: unknown };
  while (!node.shape && node.in) node = node.in as typeof node;
  return node.shape ?? {};
}

describe('Helm chart (tools/deploy/helm/airlock)', () => {
  const schema = JSON.parse(readFileSync(`${chartDir}/values.schema.json`, 'utf8')) as object;
  const values = parseYaml(readFileSync(`${chartDir}/values.yaml`, 'utf8')) as Record<string, unknown>;
  const check = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);

  it('its default values satisfy values.schema.json', () => {
    expect(check(values), JSON.stringify(check.errors)).toBe(true);
  });

  it('the schema refuses a misspelt key and a wrong type, as helm install would', () => {
    expect(check({ ...values, existingSecrets: 'typo' })).toBe(false);
    expect(check({ ...values, services: { ...(values.services as object), mcpGateway: { replicas: 'three', resources: {} } } })).toBe(false);
  });

  it('describes the same kinds of objects as the manifests (the migration is a hook Job there, init containers here)', () => {
    const templates = readdirSync(`${chartDir}/templates`).filter((file) => file.endsWith('.yaml'));
    const chartKinds = new Set(templates.flatMap((file) => [...readFileSync(`${chartDir}/templates/${file}`, 'utf8').matchAll(/^kind: (\w+)$/gm)].map((m) => m[1])));
    const manifestKinds = new Set(objects.map((o) => o.kind));
    expect([...chartKinds].sort()).toEqual([...manifestKinds, 'Job'].sort());
  });
});
