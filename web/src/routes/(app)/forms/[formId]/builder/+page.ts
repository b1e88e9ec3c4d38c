import { createFormsApi } from '$lib/api';
import { rethrowLoadError, requireWorkspace } from '$lib/load-errors';
import type { PageLoad } from './$types';

/** Loads the form the builder edits. */
export const load: PageLoad = async ({ parent, fetch, params, url }) => {
  const workspace = requireWorkspace((await parent()).workspace);
  try {
    return { workspace, form: await createFormsApi({ fetch, workspace: workspace.id }).get(params.formId) };
  } catch (cause) {
    rethrowLoadError(cause, url);
  }
};
