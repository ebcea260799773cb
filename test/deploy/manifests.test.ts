/**
 * The deploy files agree with each other and with the product: Kubernetes manifests parse and
 * carry probes, resources and non-root users; every routed service exists in compose and k8s;
 * Prometheus scrapes every process; the dashboard shows the metrics the services expose; and the
 * example secret holds no secret.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- parsed YAML is untyped; the assertions are the checks */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { SERVICES } from '../../scripts/nginx-conf.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

function yamlDocs(file: string): Doc[] {
  const docs = parseAllDocuments(read(file));
  for (const d of docs) expect(d.errors, `${file}: ${d.errors.map((e) => e.message).join('; ')}`).toEqual([]);
  return docs.map((d) => d.toJS() as Doc).filter((d) => d !== null);
}

const K8S = 'deploy/k8s';
const k8sFiles = readdirSync(path.join(root, K8S)).filter((f) => f.endsWith('.yaml'));
const manifests = k8sFiles
  .filter((f) => f !== 'kustomization.yaml')
  .flatMap((f) => yamlDocs(`${K8S}/${f}`).map((doc) => ({ file: f, doc })));
const ofKind = (kind: string) => manifests.filter((m) => m.doc.kind === kind).map((m) => m.doc);

describe('kubernetes manifests', () => {
  it('every document is a named resource in the kinoservice namespace', () => {
    expect(manifests.length).toBeGreaterThan(20);
    for (const { file, doc } of manifests) {
      expect(doc.apiVersion, file).toEqual(expect.any(String));
      expect(doc.kind, file).toEqual(expect.any(String));
      expect(doc.metadata?.name, file).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      if (doc.kind !== 'Namespace')
        expect(doc.metadata.namespace, `${file} ${doc.metadata.name}`).toBe('kinoservice');
    }
  });

  it('kustomization lists every manifest except the secret example', () => {
    const kustomization = parse(read(`${K8S}/kustomization.yaml`)) as { resources: string[] };
    const expected = k8sFiles.filter((f) => f !== 'kustomization.yaml' && f !== 'secret.example.yaml');
    expect([...kustomization.resources].sort()).toEqual(expected.sort());
  });

  it('every deployment runs the image as non-root with probes on /ready and /health and resources', () => {
    const deployments = ofKind('Deployment');
    expect(deployments.length).toBeGreaterThanOrEqual(9);
    for (const d of deployments) {
      const name = d.metadata.name as string;
      const pod = d.spec.template.spec;
      expect(d.spec.selector.matchLabels, name).toEqual(
        expect.objectContaining({
          'app.kubernetes.io/name': d.spec.template.metadata.labels['app.kubernetes.io/name'],
        }),
      );
      expect(pod.securityContext.runAsNonRoot, name).toBe(true);
      const [container] = pod.containers as Doc[];
      expect(container!.image, name).toMatch(/^kinoservice:/);
      expect(container!.args[0], name).toMatch(/^(serve|worker)$/);
      expect(container!.readinessProbe.httpGet.path, name).toBe('/ready');
      expect(container!.livenessProbe.httpGet.path, name).toBe('/health');
      expect(container!.resources.requests.cpu, name).toBeDefined();
      expect(container!.resources.requests.memory, name).toBeDefined();
      expect(container!.resources.limits.memory, name).toBeDefined();
      expect(container!.securityContext.allowPrivilegeEscalation, name).toBe(false);
      expect(
        container!.envFrom.map((e: Doc) => e.configMapRef?.name ?? e.secretRef?.name),
        name,
      ).toEqual(['kino-config', 'kino-secrets']);
    }
  });

  it('Prometheus scrapes each pod on its metrics port, which no Service exposes', () => {
    const [config] = yamlDocs(`${K8S}/configmap.yaml`);
    expect(config!.data.METRICS_HOST).toBe('0.0.0.0');
    const metricsPort = Number(config!.data.METRICS_PORT);
    expect(metricsPort).toBeGreaterThan(0);
    expect(metricsPort).not.toBe(Number(config!.data.PORT));
    for (const d of ofKind('Deployment')) {
      const name = d.metadata.name as string;
      const annotations = d.spec.template.metadata.annotations;
      expect(annotations['prometheus.io/scrape'], name).toBe('true');
      expect(annotations['prometheus.io/path'], name).toBe('/metrics');
      expect(Number(annotations['prometheus.io/port']), name).toBe(metricsPort);
      const ports = d.spec.template.spec.containers[0].ports as Doc[];
      expect(ports.find((p) => p.name === 'metrics')?.containerPort, name).toBe(metricsPort);
    }
    for (const service of ofKind('Service'))
      for (const port of service.spec.ports as Doc[]) {
        expect(port.targetPort, service.metadata.name).not.toBe('metrics');
        expect(port.targetPort, service.metadata.name).not.toBe(metricsPort);
        expect(port.port, service.metadata.name).not.toBe(metricsPort);
      }
  });

  it('has a deployment, service and autoscaler per HTTP service and one per worker', () => {
    const deployments = ofKind('Deployment').map((d) => d.metadata.name as string);
    const services = ofKind('Service').map((d) => d.metadata.name as string);
    const hpas = ofKind('HorizontalPodAutoscaler');
    for (const s of SERVICES) {
      expect(deployments).toContain(`kino-${s}`);
      expect(services).toContain(`kino-${s}`);
      const d = ofKind('Deployment').find((x) => x.metadata.name === `kino-${s}`)!;
      expect(d.spec.template.spec.containers[0].args).toEqual(['serve', s]);
    }
    for (const w of ['relay', 'etl', 'notifications-worker', 'ugc-sink'])
      expect(deployments).toContain(`kino-${w}`);
    for (const h of hpas) {
      expect(deployments).toContain(h.spec.scaleTargetRef.name);
      expect(h.spec.minReplicas).toBeLessThanOrEqual(h.spec.maxReplicas);
    }
    expect(hpas.map((h) => h.metadata.name)).toEqual(expect.arrayContaining(['kino-catalog', 'kino-auth']));
  });

  it('ingress backends are services that exist, and every routed service is reachable', () => {
    const services = new Set(ofKind('Service').map((d) => d.metadata.name as string));
    const backends = new Set<string>();
    for (const ingress of ofKind('Ingress'))
      for (const rule of ingress.spec.rules)
        for (const p of rule.http.paths) {
          expect(services.has(p.backend.service.name), p.backend.service.name).toBe(true);
          backends.add(p.backend.service.name as string);
        }
    for (const s of SERVICES) expect(backends.has(`kino-${s}`), s).toBe(true);
  });

  it('the migrate job runs kino migrate', () => {
    const [job] = ofKind('Job');
    expect(job!.spec.template.spec.containers[0].args).toEqual(['migrate']);
  });

  it('the example secret holds placeholders only', () => {
    const [secret] = yamlDocs(`${K8S}/secret.example.yaml`);
    for (const [key, value] of Object.entries(secret!.stringData as Record<string, string>)) {
      const password = /\/\/[^:/@]+:([^@]+)@/.exec(value)?.[1];
      if (password !== undefined) expect(password, key).toBe('REPLACE_ME');
      else if (/KEY|SECRET|PASSWORD|TOKEN/.test(key)) expect(value, key).toBe('REPLACE_ME');
    }
  });
});

describe('compose, nginx and prometheus agree', () => {
  const distributed = parse(read('deploy/compose/compose.distributed.yml')) as {
    services: Record<string, Doc>;
  };
  const composeServices = Object.keys(distributed.services);
  const nginx = read('deploy/nginx/kinoservice.conf');

  it('every nginx upstream server is a compose service running the matching module', () => {
    for (const s of SERVICES) {
      const block = new RegExp(`upstream kino_${s} \\{([^}]*)\\}`).exec(nginx)?.[1] ?? '';
      const hosts = [...block.matchAll(/server\s+([\w.-]+):(\d+)/g)].map((m) => m[1]!);
      expect(hosts.length, s).toBeGreaterThan(0);
      for (const host of hosts) {
        expect(composeServices, `${s}: ${host}`).toContain(host);
        expect(distributed.services[host]!.command).toEqual(['serve', s]);
      }
    }
  });

  it('auth and catalog run two replicas each, plus the engines, workers and migration job', () => {
    expect(composeServices).toEqual(
      expect.arrayContaining([
        'postgres',
        'redis',
        'nats',
        'minio',
        'nginx',
        'migrate',
        'auth-1',
        'auth-2',
        'catalog-1',
        'catalog-2',
        'ugc-1',
        'files-1',
        'notifications-1',
        'admin-1',
        'etl-worker',
        'relay',
        'notifications-worker',
        'ugc-sink',
      ]),
    );
    expect(distributed.services.nats!.command).toEqual(expect.arrayContaining(['-js']));
    expect(distributed.services.migrate!.command).toEqual(['migrate']);
  });

  it('prometheus scrapes every Kinoservice process of the distributed compose on its metrics port', () => {
    const config = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const env = (distributed as unknown as { 'x-kino-env': Record<string, string> })['x-kino-env'];
    expect(env.METRICS_HOST).toBe('0.0.0.0');
    expect(env.METRICS_PORT).not.toBe(env.PORT);
    const scraped = config.scrape_configs
      .filter((j) => j.job_name.startsWith('kino-'))
      .flatMap((j) => j.static_configs.flatMap((c) => c.targets));
    for (const t of scraped) expect(t.split(':')[1], t).toBe(env.METRICS_PORT);
    const targets = scraped.map((t) => t.split(':')[0]);
    const kinoProcesses = composeServices.filter((s) => {
      const command = distributed.services[s]!.command as string[] | undefined;
      return command?.[0] === 'serve' || command?.[0] === 'worker';
    });
    expect(kinoProcesses.length).toBeGreaterThanOrEqual(12);
    expect([...targets].sort()).toEqual([...kinoProcesses].sort());
  });

  it('the k8s prometheus config parses and keeps annotated pods', () => {
    const config = parse(read('deploy/prometheus/prometheus.k8s.yml')) as Doc;
    expect(config.scrape_configs[0].kubernetes_sd_configs[0].role).toBe('pod');
  });
});

describe('grafana dashboard', () => {
  const dashboard = JSON.parse(read('deploy/grafana/kinoservice.json')) as {
    uid: string;
    panels: { id: number; type: string; targets?: { expr: string }[] }[];
  };
  const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);

  it('has unique panel ids', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each([
    'http_request_duration_seconds_count',
    'http_request_duration_seconds_bucket',
    'status_code=~"5..',
    'kino_outbox_backlog',
    'kino_consumer_lag',
    'kino_etl_lag_seconds',
    'kino_catalog_cache_lookups_total{result=~"hit|near"}',
    'nodejs_eventloop_lag_p99_seconds',
    'process_resident_memory_bytes',
  ])('shows %s', (metric) => {
    expect(exprs.some((e) => e.includes(metric))).toBe(true);
  });
});

describe('image', () => {
  const dockerfile = read('Dockerfile');
  const ignore = read('.dockerignore').split('\n');

  // The base image's tag is checked against the supported Node.js lines in node-versions.test.ts.
  it('builds in stages on a node image and runs as the unprivileged node user', () => {
    expect(dockerfile.match(/^FROM node:\S+ AS \w+$/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    const lastUser = [...dockerfile.matchAll(/^USER (\S+)$/gm)].at(-1)?.[1];
    expect(lastUser).toBe('node');
  });

  it('checks /health and enters through the kino command', () => {
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*\/health/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["kino"\]$/m);
  });

  it('keeps dependencies, builds and secrets out of the build context', () => {
    for (const entry of ['**/node_modules', 'dist', '.env', '.git']) expect(ignore).toContain(entry);
  });
});

describe('disruption budgets', () => {
  it('select pods of existing deployments that run more than one replica', () => {
    const deployments = new Map(ofKind('Deployment').map((d) => [d.metadata.name as string, d]));
    const budgets = ofKind('PodDisruptionBudget');
    expect(budgets.length).toBeGreaterThan(0);
    for (const b of budgets) {
      const target = deployments.get(b.spec.selector.matchLabels['app.kubernetes.io/name'] as string);
      expect(target, b.metadata.name).toBeDefined();
      expect(target!.spec.replicas, b.metadata.name).toBeGreaterThan(b.spec.minAvailable);
    }
  });
});
