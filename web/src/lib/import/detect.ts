import type { ImportPlatform } from '$lib/api';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Guesses the platform of an exported workflow file from its text, so the import dialog can
 * preselect it. Returns null when the text matches no platform; the importer then names
 * what is wrong.
 *
 * @example
 * detectPlatform('{"nodes":[],"connections":{}}'); // 'n8n'
 * detectPlatform('kind: app\nversion: 0.1.2\nworkflow: {}'); // 'dify'
 */
export function detectPlatform(text: string): ImportPlatform | null {
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (!start.startsWith('{') && !start.startsWith('[')) {
    return /^(kind:\s*app|app:|workflow:|version:)/m.test(start) ? 'dify' : null;
  }

  let file: unknown;
  try {
    file = JSON.parse(start);
  } catch {
    return null;
  }
  if (Array.isArray(file)) return file.some((entry) => isObject(entry) && Array.isArray(entry.nodes) && isObject(entry.connections)) ? 'n8n' : null;
  if (!isObject(file)) return null;
  if (Array.isArray(file.nodes) && isObject(file.connections)) return 'n8n';
  if (isObject(file.data) && (Array.isArray(file.data.nodes) || isObject(file.data.node))) return 'langflow';
  if (['Chatflows', 'AgentFlowV2', 'AgentFlows', 'AssistantFlows'].some((key) => Array.isArray(file[key]))) return 'flowise';
  if (Array.isArray(file.nodes) && Array.isArray(file.edges)) {
    const first = file.nodes.find(isObject);
    return first && (first.type === 'genericNode' || first.type === 'noteNode') ? 'langflow' : 'flowise';
  }
  return null;
}
