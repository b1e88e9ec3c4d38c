/**
 * mify.forms in a real kernel: form definitions, server-side validation of multi-page forms
 * with conditional fields, and submissions that start the bound graph's published version once.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOwner, startTestKernel, type TestKernel } from '../../../kernel/src/test-support/kernel.js';

const FOLDER = fileURLToPath(new URL('..', import.meta.url));

const node = (id: string, type: string, parameters: Record<string, unknown> = {}) => ({ id, type, typeVersion: 1, name: id, position: { x: 0, y: 0 }, parameters });

const signup = (graphId: string) => ({
  name: 'Sign-up',
  graphId,
  pages: [
    {
      title: 'You',
      fields: [
        { name: 'email', label: 'Email', type: 'email', required: true },
        { name: 'age', label: 'Age', type: 'number', min: 18, max: 120 },
        { name: 'plan', label: 'Plan', type: 'select', required: true, options: [{ value: 'free', label: 'Free' }, { value: 'team', label: 'Team' }] },
      ],
    },
    {
      title: 'Team',
      fields: [
        { name: 'company', label: 'Company', type: 'text', required: true, showWhen: { field: 'plan', equals: 'team' } },
        { name: 'code', label: 'Code', type: 'text', pattern: '[A-Z]{3}-\\d{2}' },
        { name: 'terms', label: 'Terms', type: 'checkbox', required: true },
      ],
    },
  ],
});

describe('mify.forms', () => {
  let t: TestKernel;
  let cookie = '';
  let graphId = '';
  let formId = '';

  async function api<T = any>(path: string, init: { method?: string; json?: unknown } = {}): Promise<{ status: number; body: T }> {
    const response = await t.fetch(path, { method: init.method ?? 'GET', cookie, ...(init.json !== undefined ? { json: init.json } : {}) });
    return { status: response.status, body: (await response.json().catch(() => null)) as T };
  }

  beforeAll(async () => {
    await build({ entryPoints: [`${FOLDER}/src/index.ts`], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', outfile: `${FOLDER}/dist/index.js`, logLevel: 'warning' });
    t = await startTestKernel('pglite');
    cookie = (await setupOwner(t)).cookie;
    graphId = (await api('/api/graphs', { method: 'POST', json: { name: 'Intake', definition: { nodes: [node('start', 'mify.control.manual-trigger'), node('pass', 'mify.control.no-op')], edges: [{ from: { node: 'start', port: 'main' }, to: { node: 'pass', port: 'main' } }] } } })).body.id;
    await api(`/api/graphs/${graphId}/publish`, { method: 'POST' });
    const created = await api('/api/forms', { method: 'POST', json: signup(graphId) });
    expect(created.status).toBe(201);
    formId = created.body.id;
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('lists forms at /api/forms and the earlier path', async () => {
    const listed = await api('/api/forms');
    const trailingSlash = await api('/api/forms/');
    const earlier = await api('/api/ext/mify.forms/forms');

    expect(listed.status).toBe(200);
    expect(listed.body.items.map((form: { id: string }) => form.id)).toContain(formId);
    expect(trailingSlash.body.items.map((form: { id: string }) => form.id)).toContain(formId);
    expect(earlier.body.items.map((form: { id: string }) => form.id)).toContain(formId);
  });

  it('rejects DELETE on /api/forms with the allowed methods', async () => {
    const response = await t.fetch('/api/forms', { method: 'DELETE', cookie });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST');
  });

  it('reads a form under /api/forms', async () => {
    const form = await api(`/api/forms/${formId}`);

    expect(form.status).toBe(200);
    expect(form.body.pages.map((page: { title: string }) => page.title)).toEqual(['You', 'Team']);
  });

  it.each([
    ['a field without type', { name: 'x', graphId: 'g', pages: [{ title: 'a', fields: [{ name: 'a', label: 'A' }] }] }, 'type must be one of'],
    ['a duplicate name', { name: 'x', graphId: 'g', pages: [{ title: 'a', fields: [{ name: 'a', label: 'A', type: 'text' }, { name: 'a', label: 'B', type: 'text' }] }] }, 'used by another field'],
    ['a condition on an unknown field', { name: 'x', graphId: 'g', pages: [{ title: 'a', fields: [{ name: 'a', label: 'A', type: 'text', showWhen: { field: 'b' } }] }] }, 'not another field'],
    ['an invalid pattern', { name: 'x', graphId: 'g', pages: [{ title: 'a', fields: [{ name: 'a', label: 'A', type: 'text', pattern: '(' }] }] }, 'not a valid regular expression'],
    ['an unknown graph', { name: 'x', graphId: 'graph_nope', pages: [{ title: 'a', fields: [{ name: 'a', label: 'A', type: 'text' }] }] }, 'graph_nope'],
  ])('rejects a form with %s', async (_case, body, fragment) => {
    const response = await api('/api/forms', { method: 'POST', json: body });

    expect(response.status).toBe(422);
    expect(response.body.detail).toContain(fragment);
  });

  it.each([
    ['a missing required field', { plan: 'free', terms: true }, 'Email is required'],
    ['an invalid email', { email: 'nope', plan: 'free', terms: true }, 'Email must be an email address'],
    ['a number below min', { email: 'a@example.com', age: 12, plan: 'free', terms: true }, 'Age must be at least 18'],
    ['an unknown option', { email: 'a@example.com', plan: 'gold', terms: true }, 'Plan must be one of free, team'],
    ['a shown required field left empty', { email: 'a@example.com', plan: 'team', terms: true }, 'Company is required'],
    ['a pattern mismatch', { email: 'a@example.com', plan: 'free', code: 'abc', terms: true }, 'does not match the pattern'],
    ['an unchecked required box', { email: 'a@example.com', plan: 'free', terms: false }, 'Terms must be checked'],
    ['an unknown field', { email: 'a@example.com', plan: 'free', terms: true, extra: 1 }, "no field 'extra'"],
  ])('rejects answers with %s', async (_case, answers, fragment) => {
    const response = await api(`/api/forms/${formId}/submit`, { method: 'POST', json: { answers } });

    expect(response.status).toBe(422);
    expect(JSON.stringify(response.body.errors)).toContain(fragment);
  });

  it('starts the published graph once per submission id', async () => {
    const answers = { email: ' ada@example.com ', age: '36', plan: 'free', company: 'hidden', terms: true };
    const first = await api(`/api/forms/${formId}/submit`, { method: 'POST', json: { answers: { ...answers, company: undefined }, submissionId: 'sub-once-0001' } });
    const again = await api(`/api/forms/${formId}/submit`, { method: 'POST', json: { answers, submissionId: 'sub-once-0001' } });
    const run = await api(`/api/runs/${first.body.runId}`);

    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.runId).toBe(first.body.runId);
    expect(run.body.mode).toBe('extension');
    expect(first.body.answers).toEqual({ email: 'ada@example.com', age: 36, plan: 'free', terms: true });
  });

  it('drops answers of hidden fields', async () => {
    const response = await api(`/api/forms/${formId}/submit`, { method: 'POST', json: { answers: { email: 'b@example.com', plan: 'free', company: 'Acme', terms: true } } });

    expect(response.status).toBe(201);
    expect(response.body.answers).not.toHaveProperty('company');
  });

  it('records a submission as failed when the graph has no published version', async () => {
    const draftGraph = (await api('/api/graphs', { method: 'POST', json: { name: 'Draft only', definition: { nodes: [node('start', 'mify.control.manual-trigger')], edges: [] } } })).body.id;
    const form = (await api('/api/forms', { method: 'POST', json: { name: 'Draft form', graphId: draftGraph, pages: [{ title: 'Only', fields: [{ name: 'note', label: 'Note', type: 'text' }] }] } })).body.id;

    const response = await api(`/api/forms/${form}/submit`, { method: 'POST', json: { answers: { note: 'hi' }, submissionId: 'sub-draft-0001' } });
    const listed = await api(`/api/forms/${form}/submissions`);

    expect(response.status).toBe(409);
    expect(response.body.detail).toContain('no published version');
    expect(listed.body.items).toMatchObject([{ id: 'sub-draft-0001', status: 'failed' }]);
  });

  it('answers 404 for an unknown form', async () => {
    expect((await api('/api/forms/nope/submit', { method: 'POST', json: { answers: {} } })).status).toBe(404);
  });
});
