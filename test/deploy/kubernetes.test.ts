/**
 * cluster/k8s as an operator meets it, without a live Kubernetes: `kubectl kustomize` renders the
 * default deployment and every overlay; every object validates against the Kubernetes schemas
 * (kubernetes-models, KEDA's for the ScaledObject); the pods reference only Secrets, keys and volumes
 * that exist; and the Secrets bootstrap.sh makes, seeded into a data dir by the coordinator's own init
 * script, let a node started with the Deployment's arguments join a coordinator started with the
 * StatefulSet's arguments and run a job over TLS with tokens.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { DaemonSet, Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Namespace, PersistentVolumeClaim, Secret, Service } from 'kubernetes-models/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { caHashOf } from '../../src/auth/ca-hash.js';
import { TokenStore } from '../../src/auth/token-store.js';
import { assertBuilt, killAllCli, REPO_ROOT, runCli, spawnCli } from '../helpers/cli-process.js';
import { LIST_FILES_SCRIPT, parallelJobYaml } from '../helpers/job-yaml.js';

type K8sObject = Record<string, any>;

const KUBECTL = process.env.KUBECTL ?? 'kubectl';
const kubectlFound = spawnSync(KUBECTL, ['version', '--client'], { encoding: 'utf8' }).status === 0;
if (!kubectlFound) {
  console.warn(`cluster/k8s tests skipped: no ${KUBECTL} on PATH (Debian: apt-get install kubernetes-client)`);
}

const K8S = join(REPO_ROOT, 'cluster', 'k8s');
const VARIANTS = ['.', 'base', 'overlays/daemonset', 'overlays/gpu', 'overlays/keda'] as const;
const MODELS: Readonly<Record<string, new (data: never) => { validate(): void }>> = {
  'v1/Namespace': Namespace,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
}

function render(variant: string): K8sObject[] {
  const result = spawnSync(KUBECTL, ['kustomize', join(K8S, variant)], { encoding: 'utf8' });
  expect(result.status, `kubectl kustomize ${variant}: ${result.stderr}`).toBe(0);
  return parseObjects(result.stdout);
}

/** Throws naming the object when it does not validate against its schema (or has no known schema). */
function validateObject(object: K8sObject): void {
  const key = `${object.apiVersion}/${object.kind}`;
  const Model = MODELS[key];
  if (Model === undefined) throw new Error(`no schema known for ${key} (${object.metadata?.name})`);
  try {
    new Model(object as never).validate();
  } catch (error) {
    throw new Error(`${key} ${object.metadata?.name}: ${(error as Error).message}`);
  }
}

const named = (objects: readonly K8sObject[], kind: string, name: string): K8sObject | undefined =>
  objects.find((object) => object.kind === kind && object.metadata?.name === name);
const podSpecs = (objects: readonly K8sObject[]): K8sObject[] =>
  objects.filter((object) => WORKLOAD_KINDS.has(object.kind)).map((object) => object.spec.template.spec as K8sObject);
const containersOf = (pod: K8sObject): K8sObject[] => [...(pod.initContainers ?? []), ...pod.containers];

/** `--name=value` arguments replaced (or added), the Kubernetes `$(VAR)` references expanded. */
function withArgs(args: readonly string[], overrides: Record<string, string>, env: Record<string, string>): string[] {
  const expanded = args.map((arg) => arg.replace(/\$\((\w+)\)/g, (_, name: string) => env[name] ?? `$(${name})`));
  const result = expanded.map((arg) => {
    const flag = /^(--[\w-]+)=/.exec(arg)?.[1];
    return flag !== undefined && flag in overrides ? `${flag}=${overrides[flag]}` : arg;
  });
  for (const [flag, value] of Object.entries(overrides)) {
    if (!result.some((arg) => arg.startsWith(`${flag}=`))) result.push(`${flag}=${value}`);
  }
  return result;
}

let root: string;
beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'parajob-k8s-'));
});
afterAll(async () => {
  await killAllCli();
  await rm(root, { recursive: true, force: true });
});

describe.skipIf(!kubectlFound)('cluster/k8s manifests', () => {
  it('the schema check refuses a broken object (so its passes below mean something)', () => {
    expect(() =>
      validateObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: {} }),
    ).toThrow(/Deployment x/);
    expect(() => validateObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })).toThrow(/no schema/);
  });

  it.each(VARIANTS)('%s renders, and every object validates and lives in namespace parajob', (variant) => {
    const objects = render(variant);
    expect(objects.length).toBeGreaterThanOrEqual(4);
    for (const object of objects) {
      validateObject(object);
      if (object.kind !== 'Namespace') expect(object.metadata.namespace, object.metadata.name).toBe('parajob');
    }
  });

  it('the default: a coordinator StatefulSet with a persistent data dir (base), nodes as a Deployment', () => {
    const objects = render('.');
    const ids = (list: readonly K8sObject[]) => list.map((object) => `${object.kind}/${object.metadata.name}`).sort();
    expect(ids(objects)).toEqual([...ids(render('base')), 'Deployment/parajob-node'].sort());
    const coordinator = named(objects, 'StatefulSet', 'parajob-coordinator');
    expect(coordinator?.spec.replicas).toBe(1);
    const args: string[] = coordinator?.spec.template.spec.containers[0].args;
    const dataDir = args.find((arg) => arg.startsWith('--data-dir='))?.slice('--data-dir='.length);
    const mounts: K8sObject[] = coordinator?.spec.template.spec.containers[0].volumeMounts;
    const stateMount = mounts.find((mount) => mount.mountPath === dataDir);
    expect(stateMount?.name).toBe('state');
    expect(coordinator?.spec.volumeClaimTemplates.map((claim: K8sObject) => claim.metadata.name)).toContain('state');
    // The headless Service's name is one the server certificate covers, and nodes dial it.
    const service = named(objects, 'Service', 'parajob-coordinator');
    expect(service?.spec.clusterIP).toBe('None');
    expect(args.find((arg) => arg.startsWith('--advertise='))?.split(/[=,]/)).toContain('parajob-coordinator');
    const grpcPort = service?.spec.ports.find((port: K8sObject) => port.name === 'grpc').port;
    const nodeArgs: string[] = named(objects, 'Deployment', 'parajob-node')?.spec.template.spec.containers[0].args;
    expect(nodeArgs).toContain(`--coordinator=parajob-coordinator:${grpcPort}`);
  });

  it('the daemonset overlay replaces the node Deployment by a DaemonSet; gpu asks for a GPU in pool gpu-cluster', () => {
    const daemon = render('overlays/daemonset');
    expect(named(daemon, 'Deployment', 'parajob-node')).toBeUndefined();
    expect(named(daemon, 'DaemonSet', 'parajob-node')).toBeDefined();
    const gpu = named(render('overlays/gpu'), 'DaemonSet', 'parajob-node');
    const node = gpu?.spec.template.spec.containers[0];
    expect(node.resources.limits['nvidia.com/gpu']).toBe(1);
    expect(node.args).toEqual(expect.arrayContaining(['--compute=gpu-cluster', '--gpus=1']));
    expect(gpu?.spec.template.spec.nodeSelector).toBeDefined();
  });

  it('the keda overlay scales a node Deployment that exists, on the coordinator’s mini-batch gauge', () => {
    const objects = render('overlays/keda');
    const scaled = named(objects, 'ScaledObject', 'parajob-node');
    const target = scaled?.spec.scaleTargetRef;
    expect(named(objects, target.kind, target.name)).toBeDefined();
    const metricNames = readFileSync(join(REPO_ROOT, 'src', 'web', 'metrics.ts'), 'utf8');
    const query: string = scaled?.spec.triggers[0].metadata.query;
    const metric = /(parajob_\w+)\{/.exec(query)?.[1] ?? '';
    expect(metricNames).toContain(`'${metric}'`);
  });

  it.each(VARIANTS)(
    '%s: every pod runs as non-root on a read-only root, with requests, and mounts only what exists',
    (variant) => {
      const objects = render(variant);
      const claims = new Set(
        objects.filter((object) => object.kind === 'PersistentVolumeClaim').map((object) => object.metadata.name),
      );
      const templates = new Set(
        objects.flatMap((object) =>
          (object.spec?.volumeClaimTemplates ?? []).map((claim: K8sObject) => claim.metadata.name),
        ),
      );
      const bootstrapSecrets = bootstrapObjects();
      for (const pod of podSpecs(objects)) {
        expect(pod.securityContext.runAsNonRoot).toBe(true);
        expect(pod.automountServiceAccountToken).toBe(false);
        const volumes = new Set<string>([...templates, ...(pod.volumes ?? []).map((volume: K8sObject) => volume.name)]);
        for (const volume of pod.volumes ?? []) {
          if (volume.persistentVolumeClaim) expect(claims).toContain(volume.persistentVolumeClaim.claimName);
          if (volume.secret) expect(named(bootstrapSecrets, 'Secret', volume.secret.secretName)).toBeDefined();
        }
        for (const container of containersOf(pod)) {
          expect(container.securityContext.readOnlyRootFilesystem, container.name).toBe(true);
          expect(container.securityContext.capabilities.drop).toEqual(['ALL']);
          for (const mount of container.volumeMounts ?? []) expect(volumes).toContain(mount.name);
          for (const variable of container.env ?? []) {
            const ref = variable.valueFrom?.secretKeyRef;
            if (ref) expect(Object.keys(named(bootstrapSecrets, 'Secret', ref.name)?.data ?? {})).toContain(ref.key);
          }
        }
        const main = pod.containers[0];
        if (variant !== 'overlays/daemonset' && variant !== 'overlays/gpu')
          expect(main.resources.requests.cpu).toBeDefined();
        else expect(main.resources.requests.memory).toBeDefined();
      }
    },
  );
});

let bootstrapped: { objects: K8sObject[]; stderr: string } | undefined;
/** bootstrap.sh's Secrets (run once per file). */
function bootstrapObjects(): K8sObject[] {
  return bootstrap().objects;
}
function bootstrap(): { objects: K8sObject[]; stderr: string } {
  if (bootstrapped !== undefined) return bootstrapped;
  const result = spawnSync('bash', [join(K8S, 'bootstrap.sh')], { encoding: 'utf8', env: { ...process.env, KUBECTL } });
  expect(result.status, result.stderr).toBe(0);
  bootstrapped = { objects: parseObjects(result.stdout), stderr: result.stderr };
  return bootstrapped;
}
const secretFile = (objects: readonly K8sObject[], name: string, key: string): Buffer =>
  Buffer.from(named(objects, 'Secret', name)?.data[key] as string, 'base64');

describe.skipIf(!kubectlFound)('cluster/k8s/bootstrap.sh and the pods it feeds', () => {
  it('prints two valid Secrets: the tokens file verifies the node token it hands the nodes, and the printed client token', () => {
    const { objects, stderr } = bootstrap();
    expect(objects.map((object) => object.metadata.name).sort()).toEqual([
      'parajob-coordinator-bootstrap',
      'parajob-node-join',
    ]);
    for (const object of objects) validateObject(object);
    const dir = join(root, 'verify', 'auth');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tokens.json'), secretFile(objects, 'parajob-coordinator-bootstrap', 'tokens.json'));
    const store = TokenStore.forDataDir(join(root, 'verify'));
    const nodeToken = secretFile(objects, 'parajob-node-join', 'token').toString();
    expect(store.verify(nodeToken)).toMatchObject({ role: 'node' });
    const clientToken = /client token[^:]*: (\S+)/.exec(stderr)?.[1] ?? '';
    expect(store.verify(clientToken)).toMatchObject({ role: 'client' });
    // The hash printed for clients (parajob pki init) pins the CA the nodes are given.
    const printedHash = /parajob cluster CA (sha256:[0-9a-f]{64})/.exec(stderr)?.[1];
    expect(printedHash).toBe(caHashOf(secretFile(objects, 'parajob-node-join', 'ca.crt')));
    expect(secretFile(objects, 'parajob-node-join', 'ca.crt').toString()).toBe(
      secretFile(objects, 'parajob-coordinator-bootstrap', 'ca.crt').toString(),
    );
  });

  it('seeded by the init container, a coordinator with the StatefulSet’s arguments runs a job for a node with the Deployment’s', async () => {
    const { objects, stderr } = bootstrap();
    const rendered = render('.');
    const statefulSet = named(rendered, 'StatefulSet', 'parajob-coordinator')?.spec.template.spec;
    const deployment = named(rendered, 'Deployment', 'parajob-node')?.spec.template.spec;
    const state = join(root, 'state');
    const secrets = join(root, 'bootstrap');
    const joinDir = join(root, 'join');
    const data = join(root, 'data');
    for (const dir of [state, secrets, joinDir, data]) mkdirSync(dir, { recursive: true });
    for (const key of ['ca.crt', 'ca.key', 'tokens.json']) {
      writeFileSync(join(secrets, key), secretFile(objects, 'parajob-coordinator-bootstrap', key));
    }
    writeFileSync(join(joinDir, 'ca.crt'), secretFile(objects, 'parajob-node-join', 'ca.crt'));

    // The init container's own script, its two mount paths pointed at the test's folders; run twice:
    // the second run must keep what the first (and the coordinator since) wrote.
    const script = (statefulSet.initContainers[0].args[0] as string)
      .replaceAll('/var/lib/parajob', state)
      .replaceAll('/bootstrap/', `${secrets}/`);
    for (let run = 0; run < 2; run++) {
      const seeded = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
      expect(seeded.status, seeded.stderr).toBe(0);
      if (run === 0) writeFileSync(join(secrets, 'tokens.json'), '{"not":"used again"}');
    }
    expect(statSync(join(state, 'pki', 'ca.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(state, 'auth', 'tokens.json')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(state, 'auth', 'tokens.json'), 'utf8')).not.toContain('used again');

    const coordinatorArgs = withArgs(
      statefulSet.containers[0].args,
      { '--port': '0', '--data-dir': state, '--allow-path': data, '--http-port': '0' },
      { POD_NAMESPACE: 'parajob' },
    );
    const coordinator = spawnCli(coordinatorArgs);
    const port = (await coordinator.waitFor(/listening on \S+:(\d+)/))[1] ?? '';
    const nodeToken = secretFile(objects, 'parajob-node-join', 'token').toString();
    const nodeArgs = withArgs(
      deployment.containers[0].args,
      {
        '--coordinator': `127.0.0.1:${port}`,
        '--ca': join(joinDir, 'ca.crt'),
        '--cache-dir': join(root, 'cache'),
      },
      { POD_NAME: 'parajob-node-abc12', CPU_LIMIT: '2' },
    );
    // The node joins (a certificate for its name) and keeps it under XDG_STATE_HOME, here the test's folder.
    const node = spawnCli(nodeArgs, { env: { PARAJOB_TOKEN: nodeToken, XDG_STATE_HOME: join(root, 'state') } });
    await node.waitFor(/attached to/);

    // A client with the bootstrap's client token and the CA's hash submits a job under /data.
    const clientToken = /client token[^:]*: (\S+)/.exec(stderr)?.[1] ?? '';
    const caHash = /parajob cluster CA (sha256:[0-9a-f]{64})/.exec(stderr)?.[1] ?? '';
    mkdirSync(join(data, 'in'));
    mkdirSync(join(data, 'code'));
    for (let i = 0; i < 7; i++) writeFileSync(join(data, 'in', `f${i}.txt`), `${i}\n`);
    writeFileSync(join(data, 'code', 'list.mjs'), LIST_FILES_SCRIPT);
    const compute = nodeArgs.find((arg) => arg.startsWith('--compute='))?.slice('--compute='.length);
    writeFileSync(
      join(data, 'job.yml'),
      parallelJobYaml({ compute, inputPath: './in', miniBatchSize: '"3"', appendRowFile: './out/rows.txt' }),
    );
    const env = { PARAJOB_COORDINATOR: `127.0.0.1:${port}`, PARAJOB_TOKEN: clientToken, PARAJOB_CA: caHash };
    const created = await runCli(['job', 'create', '--file', join(data, 'job.yml')], { env });
    expect(created.exit?.code, created.describeOutput()).toBe(0);
    const jobId = created.stdoutLines.at(-1) ?? '';
    const streamed = await runCli(['job', 'stream', jobId], { env, timeoutMs: 60_000 });
    expect(streamed.exit?.code, streamed.describeOutput()).toBe(0);
    const rows = readFileSync(join(data, 'out', 'rows.txt'), 'utf8')
      .trim()
      .split('\n')
      .sort();
    expect(rows).toEqual((await readdir(join(data, 'in'))).sort());
  });
});
