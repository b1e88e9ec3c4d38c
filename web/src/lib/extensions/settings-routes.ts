import type { RouteContribution } from '$lib/api-types';

/**
 * Finds the routes through which an extension's settings page loads and saves
 * its values. The kernel stores no extension settings itself, so a settings
 * page is backed by the extension's own routes `GET settings/<id>` (returns
 * the values as a JSON object) and `PUT settings/<id>` (receives them), when
 * the extension contributes them.
 */
export function settingsRoutes(routes: RouteContribution[], extensionId: string, settingsId: string): { load: RouteContribution | null; save: RouteContribution | null } {
  const path = `settings/${settingsId}`;
  const own = routes.filter((route) => route.extensionId === extensionId && route.path.replace(/^\//, '') === path);
  return { load: own.find((route) => route.method === 'GET') ?? null, save: own.find((route) => route.method === 'PUT') ?? null };
}
