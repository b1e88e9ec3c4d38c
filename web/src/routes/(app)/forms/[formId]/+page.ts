import { createFormsApi } from '$lib/api';
import { rethrowLoadError, requireWorkspace } from '$lib/load-errors';
import { roleAllows } from '$lib/roles';
import type { PageLoad } from './$types';

/** Loads a form to render and fill in. */
export const load: PageLoad = async ({ parent, fetch, params, url }) => {
  const workspace = requireWorkspace((await parent()).workspace);
  try {
    const form = await createFormsApi({ fetch, workspace: workspace.id }).get(params.formId);
    return { workspace, form, canWrite: roleAllows(workspace.role, 'write') };
  } catch (cause) {
    rethrowLoadError(cause, url);
  }
};
