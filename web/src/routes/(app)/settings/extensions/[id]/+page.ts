import { apiRequest, createGraphPagesApi, toProblem, type Problem } from '$lib/api';
import { settingsRoutes } from '$lib/extensions/settings-routes';
import { rethrowLoadError, requireWorkspace } from '$lib/load-errors';
import { roleAllows } from '$lib/roles';
import type { PageLoad } from './$types';

/** Loads one extension, its contributions, and the stored values of its settings pages. */
export const load: PageLoad = async ({ parent, fetch, url, params, depends }) => {
  depends('mify:extension');
  const workspace = requireWorkspace((await parent()).workspace);
  const api = createGraphPagesApi({ fetch, workspace: workspace.id });

  try {
    const [extension, contributions] = await Promise.all([api.getExtension(params.id), api.contributions()]);
    const own = <T extends { extensionId: string }>(entries: T[]) => entries.filter((entry) => entry.extensionId === extension.id);

    const settings = await Promise.all(
      own(contributions.settings).map(async (page) => {
        const routes = settingsRoutes(contributions.routes, extension.id, page.id);
        let values: Record<string, unknown> = {};
        let problem: Problem | null = null;
        if (routes.load) {
          try {
            values = (await apiRequest<Record<string, unknown>>('GET', routes.load.url, { fetch, workspace: workspace.id })) ?? {};
          } catch (cause) {
            problem = toProblem(cause);
          }
        }
        return { page, saveUrl: routes.save?.url ?? null, values, problem };
      }),
    );

    return {
      workspace,
      canWrite: roleAllows(workspace.role, 'write'),
      extension,
      settings,
      panels: own(contributions.panels),
      counts: {
        nodes: own(contributions.nodes).length,
        routes: own(contributions.routes).length,
        panels: own(contributions.panels).length,
        settings: own(contributions.settings).length,
      },
    };
  } catch (cause) {
    rethrowLoadError(cause, url);
  }
};
