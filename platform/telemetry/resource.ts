/**
 * Who is speaking: the OpenTelemetry resource of this process, and the settings every part of the
 * telemetry shares. The resource carries what an APM needs to name the service and to tie it to its
 * host and process (Instana correlates on `host.id`, `process.pid`, and `k8s.pod.uid` in Kubernetes):
 *
 * - `service.name` (`OTEL_SERVICE_NAME`), `service.namespace` (`ordersaga`), `service.version`
 *   (`SERVICE_VERSION`), `service.instance.id` (host, pid and a random suffix: unique per start),
 *   `deployment.environment.name` (`DEPLOYMENT_ENVIRONMENT`);
 * - `host.*` and `process.*` from the SDK's detectors;
 * - anything in `OTEL_RESOURCE_ATTRIBUTES` (the Kubernetes manifests put the pod's ids there), which
 *   wins over the values above.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { arch, hostname } from 'node:os';
import { detectResourcesSync, envDetectorSync, osDetectorSync, processDetectorSync, Resource } from '@opentelemetry/resources';

export const serviceNamespace = 'ordersaga';
export const serviceVersion = process.env.SERVICE_VERSION ?? '0.1.0';

export function telemetryEnabled(): boolean {
  return process.env.OTEL_SDK_DISABLED !== 'true';
}

/** How often metrics are exported (`OTEL_METRIC_EXPORT_INTERVAL`, ms; default 10 s). */
export function metricExportIntervalMs(): number {
  const value = Number(process.env.OTEL_METRIC_EXPORT_INTERVAL);
  return Number.isFinite(value) && value > 0 ? value : 10_000;
}

const instanceId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
let detected: Resource | undefined;

const HOST_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm32', ia32: 'x86', ppc64: 'ppc64', s390x: 's390x' };

/**
 * `host.*`, read synchronously. The SDK's host detector reads `host.id` asynchronously, which
 * leaves every resource "pending" until it settles and makes the span processors wait on it; the
 * machine id is one small file, so it is read here at once instead.
 */
function hostResource(): Resource {
  let id: string | undefined;
  for (const file of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      id = readFileSync(file, 'utf8').trim() || undefined;
      if (id) break;
    } catch {
      // not on this system
    }
  }
  return new Resource({ 'host.name': hostname(), 'host.arch': HOST_ARCH[arch()] ?? arch(), ...(id ? { 'host.id': id } : {}) });
}

/** The resource of this process under `serviceName` (by default `OTEL_SERVICE_NAME`). */
export function serviceResource(serviceName = process.env.OTEL_SERVICE_NAME ?? 'ordersaga'): Resource {
  detected ??= hostResource().merge(detectResourcesSync({ detectors: [osDetectorSync, processDetectorSync, envDetectorSync] }));
  const own = new Resource({
    'service.name': serviceName,
    'service.namespace': serviceNamespace,
    'service.version': serviceVersion,
    'service.instance.id': instanceId,
    'deployment.environment.name': process.env.DEPLOYMENT_ENVIRONMENT ?? 'dev',
  });
  // The environment's attributes win, except the service's name: a virtual node keeps its own.
  return own.merge(detected).merge(new Resource({ 'service.name': serviceName }));
}

/**
 * The resource of a virtual service node (platform/telemetry/service-node.ts): this process's
 * resource under the node's name, with an instance id of its own, so the APM lists it as a
 * service of its own that runs in this process on this host.
 */
export function serviceNodeResource(node: string): Resource {
  return serviceResource(node).merge(new Resource({ 'service.instance.id': `${instanceId}/${node}` }));
}
