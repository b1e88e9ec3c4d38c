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
  /** The last listing and the active manifests it was built from, reused while they stay the same. */
  private last: { sources: Array<{ manifest: ExtensionManifest; healthy: boolean }>; list: ContributionList } | null = null;

  constructor(private readonly host: ExtensionHost) {}

  /**
   * Lists the contributions of the active extensions. The same object is returned while the
   * set of active manifests and their health stay the same, so callers must not change it.
   * Every run reads it, and rebuilding it costs far more than the comparison.
   */
  list(): ContributionList {
    const sources = this.host.activeManifests();
    const last = this.last;
    if (last && last.sources.length === sources.length && sources.every((source, index) => source.manifest === last.sources[index]!.manifest && source.healthy === last.sources[index]!.healthy)) {
      return last.list;
    }
    const list = this.build(sources);
    this.last = { sources, list };
    return list;
  }

  private build(sources: Array<{ manifest: ExtensionManifest; healthy: boolean }>): ContributionList {
    const result = Object.fromEntries(POINTS.map((point) => [point, []])) as unknown as Record<Point, unknown[]>;
    for (const { manifest, healthy } of sources) {
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
