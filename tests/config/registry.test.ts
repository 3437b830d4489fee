/** The registries are built from the descriptors each kind's folder exports. */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { connectorKinds, loadSourceFactories } from '../../src/connectors/registry.js';
import { GatewayConfig, PublisherConfig } from '../../src/config/schema.js';
import { publisherKinds } from '../../src/publish/registry.js';

describe('connector and publisher registries', () => {
  it.each([...connectorKinds, ...publisherKinds].map((k) => [k.kind, k] as const))('%s: its config schema is named by its kind, and its docs page exists', (kind, k) => {
    expect(k.configSchema.shape.type.value).toBe(kind);
    expect(k.docs.title.length).toBeGreaterThan(0);
    expect(k.docs.summary.length).toBeGreaterThan(0);
    expect(existsSync(k.docs.docsPath)).toBe(true);
  });

  it('kinds are unique and every connector kind loads a source factory', async () => {
    const names = connectorKinds.map((k) => k.kind);
    expect(new Set(names).size).toBe(names.length);
    const factories = await loadSourceFactories(names);
    expect(Object.keys(factories).sort()).toEqual([...names].sort());
    for (const f of Object.values(factories)) expect(typeof f).toBe('function');
    const pubs = publisherKinds.map((k) => k.kind);
    expect(new Set(pubs).size).toBe(pubs.length);
  });

  it('the composed config accepts each publisher kind and names the kinds when the type is unknown', () => {
    expect(PublisherConfig.parse({ type: 'stdout' })).toEqual({ type: 'stdout' });
    expect(PublisherConfig.parse({ type: 'local-log' })).toEqual({ type: 'local-log', dir: './var/events', rotateBytes: 64 * 1024 * 1024, fsync: true });
    const bad = PublisherConfig.safeParse({ type: 'kinesis' });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toMatch(/local-log[\s\S]*stdout[\s\S]*kafka/);
    expect(GatewayConfig.shape.connectors).toBeDefined();
  });
});
