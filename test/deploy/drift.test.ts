/**
 * No drift between the configuration code and the deployments: compose and every Kubernetes
 * overlay set exactly the variables the services read — the keys of environmentSchema
 * (platform/config.ts), the `process.env` reads in service code, and the OpenTelemetry ones the
 * SDK reads — and none that nothing reads.
 */
import test from 'ava';
import { serviceDatabases } from '../../infra/programs/setup/service-databases.js';
import {
  composeDocument,
  composeFile,
  containersOf,
  databaseVariablesOf,
  entryOf,
  environmentDrift,
  environmentOf,
  expectedVariables,
  serviceOnlyVariables,
  interpolationHelpers,
  type K8sObject,
  ordersagaServices,
  overlays,
  read,
  renderOverlay,
  workloads,
} from './deployment-files.js';

const expected = expectedVariables();

/** Per compose service built from the image: its drift. A service's own secret (the gateway's, the vault's) is its alone. */
function composeDrift(compose: any): Record<string, { missing: string[]; unread: string[] }> {
  const expectedOf = (service: string) =>
    new Set([...expected].filter((name) => (serviceOnlyVariables[name] ?? [service]).includes(service)));
  return Object.fromEntries(
    ordersagaServices(compose).map(([name, service]) => [name, environmentDrift(Object.keys(service.environment ?? {}), expectedOf(name))]),
  );
}

/** For an overlay: variables no container sets, and per container the ones nothing reads. */
function kubernetesDrift(objects: K8sObject[]): { missing: string[]; unread: Record<string, string[]> } {
  const everySet = new Set<string>();
  const unread: Record<string, string[]> = {};
  for (const workload of workloads(objects)) {
    for (const container of containersOf(workload)) {
      const names = environmentOf(container, objects);
      const helpers = interpolationHelpers(container);
      for (const name of names) if (!helpers.has(name)) everySet.add(name);
      const drift = environmentDrift(names, expected, helpers);
      if (drift.unread.length > 0) unread[`${workload.metadata.name}/${container.name}`] = drift.unread;
    }
  }
  return { missing: environmentDrift(everySet, expected).missing, unread };
}

const clean = (drift: Record<string, { missing: string[]; unread: string[] }>) =>
  Object.fromEntries(Object.entries(drift).filter(([, { missing, unread }]) => missing.length + unread.length > 0));

test('the variables the services read include the schema, the OpenTelemetry ones, and none the code sets for itself', (t) => {
  t.true(expected.has('TEMPORAL_API_KEY'));
  t.true(expected.has('KAFKA_SASL_MECHANISM'));
  t.true(expected.has('OTEL_SERVICE_NAME'));
  t.true(expected.has('OTEL_EXPORTER_OTLP_ENDPOINT'));
  t.false(expected.has('KAFKAJS_NO_PARTITIONER_WARNING'), 'platform/kafka.ts sets it itself');
});

test('compose: every service container sets exactly the variables the services read', (t) => {
  t.deepEqual(clean(composeDrift(composeDocument())), {});
  t.is(ordersagaServices(composeDocument()).length, 10, 'the seven services, setup, seed and the load generator');
});

for (const overlay of overlays) {
  test(`${overlay}: the manifests set every variable the services read, and no container gets one nothing reads`, (t) => {
    t.deepEqual(kubernetesDrift(renderOverlay(overlay)), { missing: [], unread: {} });
  });

  test(`${overlay}: every service gets the database URL its entry point reads, and every container the shared ConfigMap`, (t) => {
    const objects = renderOverlay(overlay);
    for (const workload of workloads(objects)) {
      const container = containersOf(workload)[0]!;
      const names = new Set(environmentOf(container, objects));
      const entry = entryOf(container)!;
      const wanted =
        entry === 'infra/programs/setup/setup.ts' ? serviceDatabases.map((database) => database.urlVariable) : databaseVariablesOf(entry);
      for (const variable of wanted) t.true(names.has(variable), `${workload.metadata.name}: ${variable}`);
      t.true(names.has('KAFKA_BROKERS') && names.has('TEMPORAL_ADDRESS'), `${workload.metadata.name}: ordersaga-config`);
    }
  });
}

test('the drift check finds a missing variable and one that nothing reads', (t) => {
  const names = [...expected].filter((name) => name !== 'KAFKA_BROKERS').concat('UNUSED_SETTING');
  t.deepEqual(environmentDrift(names, expected), { missing: ['KAFKA_BROKERS'], unread: ['UNUSED_SETTING'] });
});

test('a variable planted in compose.yaml, or dropped from it, is caught', (t) => {
  const text = read(composeFile);
  const planted = text.replace('  LOG_LEVEL: ${LOG_LEVEL:-info}\n', '  LOG_LEVEL: ${LOG_LEVEL:-info}\n  PLANTED_SETTING: "1"\n');
  t.not(planted, text);
  t.deepEqual(composeDrift(composeDocument(planted)).gateway, { missing: [], unread: ['PLANTED_SETTING'] });
  const dropped = text.replace('  KAFKA_SASL_MECHANISM: ${KAFKA_SASL_MECHANISM:-}\n', '');
  t.deepEqual(composeDrift(composeDocument(dropped)).order, { missing: ['KAFKA_SASL_MECHANISM'], unread: [] });
});

test('a variable planted in the ConfigMap or a Deployment, or dropped from the ConfigMap, is caught', (t) => {
  const objects = structuredClone(renderOverlay('prod'));
  const configMap = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith('ordersaga-config'))!;
  configMap.data!.PLANTED_SETTING = '1';
  delete configMap.data!.TEMPORAL_TLS_SERVER_NAME;
  const gateway = workloads(objects).find((object) => object.metadata.name === 'gateway')!;
  containersOf(gateway)[0]!.env!.push({ name: 'ALSO_PLANTED', value: '1' });
  const drift = kubernetesDrift(objects);
  t.deepEqual(drift.missing, ['TEMPORAL_TLS_SERVER_NAME']);
  t.deepEqual(drift.unread['gateway/gateway'], ['ALSO_PLANTED', 'PLANTED_SETTING']);
  t.deepEqual(drift.unread['order/order'], ['PLANTED_SETTING']);
});

test('a helper variable is allowed only while another variable of the container expands it', (t) => {
  const objects = structuredClone(renderOverlay('dev'));
  const order = workloads(objects).find((object) => object.metadata.name === 'order')!;
  const env = containersOf(order)[0]!.env!;
  env.find((variable) => variable.name === 'OTEL_RESOURCE_ATTRIBUTES')!.value = 'k8s.pod.uid=$(POD_UID)';
  t.deepEqual(kubernetesDrift(objects).unread['order/order'], ['NODE_NAME', 'POD_NAME', 'POD_NAMESPACE']);
});
