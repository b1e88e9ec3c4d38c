import type { ExtensionManifest } from '@mify/sdk';
import type { ExtensionHost } from './host.js';

type Contributes = NonNullable<ExtensionManifest['contributes']>;
type Point = keyof Contributes;

/** Each contribution as listed by the API: the manifest entry plus where it comes from. */
export type Listed<T> = T & { extensionId: string; extensionVersion: string; healthy: boolean };

export type ContributionList = { [K in Point]-?: Array<Listed<NonNullable<Contributes[K]>[number]>> };

const POINTS: Point[] = ['nodes', 'routes', 'triggers', 'importers', 'credentialTypes', 'providers', 'panels', 'settings'];

/** Prefix under which an extension's routes are mounted: `/api/ext/<extension id>`. */
export function extensionRoutePrefix(extensionId: string): string {
  return `/api/ext/${extensionId}`;
}

/** Lists what the active extensions contribute, so the studio renders them without a hard-coded list. */
export class ContributionRegistry {
  constructor(private readonly host: ExtensionHost) {}

  list(): ContributionList {
    const result = Object.fromEntries(POINTS.map((point) => [point, []])) as unknown as Record<Point, unknown[]>;
    for (const { manifest, healthy } of this.host.activeManifests()) {
      for (const point of POINTS) {
        for (const entry of manifest.contributes?.[point] ?? []) {
          const listed: Record<string, unknown> = { ...(entry as object), extensionId: manifest.id, extensionVersion: manifest.version, healthy };
          if (point === 'routes') {
            const route = entry as { path: string; mount?: string };
            const rest = route.path.replace(/^\/+/, '');
            const base = route.mount ?? extensionRoutePrefix(manifest.id);
            listed.url = rest === '' ? base : `${base}/${rest}`;
          }
          result[point].push(listed);
        }
      }
    }
    return result as unknown as ContributionList;
  }

  /** Finds the node type's contribution and its extension. */
  findNode(type: string): Listed<NonNullable<Contributes['nodes']>[number]> | undefined {
    return this.list().nodes.find((node) => node.type === type);
  }
}
