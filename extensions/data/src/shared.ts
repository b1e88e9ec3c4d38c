/**
 * Helpers shared with mify.control: parameter readers, dot paths and the condition model.
 * esbuild bundles them into this extension at build time, so no code is loaded at run time.
 */
export { groupsPerItem, jsonEquals, matchesGroup, readConditionGroup } from '../../control/src/shared/conditions.js';
export type { ExecuteContext, ExecuteInput, Item } from '../../control/src/shared/items.js';
export { describeValue, ItemError, ParameterError, Parameters, parametersPerItem } from '../../control/src/shared/parameters.js';
export { cloneJson, deletePath, getPath, hasPath, parsePath, setPath, type PathSegment } from '../../control/src/shared/paths.js';
