/**
 * HTTP side of mify.forms: create, read and list forms, submit answers, list submissions.
 * A submission is stored before its run starts and the run is started with the submission
 * id as its idempotency key, so a kernel crash leaves each submission either finished
 * (stored with its run) or finished on the next request that touches the form.
 */
import type { JsonObject, RouteContext, RouteRequest, RouteResponse } from '@mify/sdk';
import { validateAnswers } from './answers.js';
import { parseDefinition, type FormDefinition, type Problem } from './definition.js';

const FORMS = 'forms';
const SUBMISSIONS = 'submissions';
/** Age after which a stored submission without a run is finished by the next request, in milliseconds. */
const RECOVER_AFTER_MS = 20_000;
const SUBMISSION_ID = /^[A-Za-z0-9_-]{8,100}$/;

export function problem(status: number, code: string, detail: string, errors?: Problem[]): RouteResponse {
  return { status, headers: { 'content-type': 'application/problem+json' }, body: { type: `https://mify.dev/problems/${code.replace(/_/g, '-')}`, title: code.replace(/_/g, ' '), status, code, detail, ...(errors ? { errors: errors as unknown as JsonObject[] } : {}) } };
}

async function loadForm(ctx: RouteContext, id: string): Promise<{ id: string; definition: FormDefinition; createdAt: string; updatedAt: string } | null> {
  const document = await ctx.host.collections.get(FORMS, id);
  if (!document) return null;
  return { id: document.id, definition: document.data as unknown as FormDefinition, createdAt: document.createdAt, updatedAt: document.updatedAt };
}

const formBody = (form: { id: string; definition: FormDefinition; createdAt: string; updatedAt: string }) => ({ id: form.id, ...form.definition, createdAt: form.createdAt, updatedAt: form.updatedAt }) as unknown as JsonObject;

export async function createForm(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const parsed = parseDefinition(request.body);
  if (!parsed.definition) return problem(422, 'validation_failed', `The form is invalid: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}.`, parsed.problems);
  try {
    await ctx.host.graphs.get(parsed.definition.graphId);
  } catch {
    return problem(422, 'validation_failed', `graphId '${parsed.definition.graphId}' is not a graph of this workspace; create the graph first and pass its id.`, [{ path: 'graphId', message: 'no such graph' }]);
  }
  const document = await ctx.host.collections.put(FORMS, { data: { ...parsed.definition } as unknown as JsonObject });
  return { status: 201, headers: { location: `/api/forms/${document.id}` }, body: formBody({ id: document.id, definition: parsed.definition, createdAt: document.createdAt, updatedAt: document.updatedAt }) };
}

export async function updateForm(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const current = await loadForm(ctx, request.params.id ?? '');
  if (!current) return problem(404, 'not_found', `Form '${request.params.id}' was not found in this workspace.`);
  const parsed = parseDefinition(request.body);
  if (!parsed.definition) return problem(422, 'validation_failed', `The form is invalid: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}.`, parsed.problems);
  const document = await ctx.host.collections.put(FORMS, { id: current.id, data: { ...parsed.definition } as unknown as JsonObject });
  return { status: 200, body: formBody({ id: document.id, definition: parsed.definition, createdAt: document.createdAt, updatedAt: document.updatedAt }) };
}

export async function listForms(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const page = await ctx.host.collections.find(FORMS, { limit: Math.min(Number(request.query.limit ?? 50) || 50, 100), ...(request.query.cursor ? { cursor: request.query.cursor } : {}) });
  return { status: 200, body: { items: page.data.map((document) => formBody({ id: document.id, definition: document.data as unknown as FormDefinition, createdAt: document.createdAt, updatedAt: document.updatedAt })), nextCursor: page.nextCursor } };
}

export async function getForm(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const form = await loadForm(ctx, request.params.id ?? '');
  if (!form) return problem(404, 'not_found', `Form '${request.params.id}' was not found in this workspace.`);
  return { status: 200, body: formBody(form) };
}

/** Starts the run of a stored submission (once, whatever the number of calls) and records it. */
async function startSubmission(ctx: RouteContext, form: { id: string; definition: FormDefinition }, submission: { id: string; data: JsonObject }): Promise<RouteResponse> {
  try {
    const run = await ctx.host.runs.start(form.definition.graphId, {
      items: [{ json: { formId: form.id, submissionId: submission.id, answers: submission.data.answers as JsonObject } }],
      idempotencyKey: `form-submission:${submission.id}`,
    });
    const data = { ...submission.data, status: 'started', runId: run.id };
    await ctx.host.collections.put(SUBMISSIONS, { id: submission.id, data });
    return { status: 201, headers: { location: `/api/runs/${run.id}` }, body: { id: submission.id, ...data } };
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'internal_error';
    const message = (error as Error).message;
    // A graph without a published version cannot take submissions; the submission is recorded as failed, not left half-done.
    const data = { ...submission.data, status: 'failed', error: { code, message } };
    await ctx.host.collections.put(SUBMISSIONS, { id: submission.id, data });
    return problem(409, 'submission_failed', `The submission was recorded, but its graph could not start: ${message}`);
  }
}

export async function submit(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const form = await loadForm(ctx, request.params.id ?? '');
  if (!form) return problem(404, 'not_found', `Form '${request.params.id}' was not found in this workspace.`);
  const body = (request.body ?? {}) as { answers?: unknown; submissionId?: unknown };
  if (body.submissionId !== undefined && (typeof body.submissionId !== 'string' || !SUBMISSION_ID.test(body.submissionId))) {
    return problem(422, 'validation_failed', `submissionId must be 8-100 letters, digits, - or _, such as a UUID, got ${JSON.stringify(body.submissionId)}.`, [{ path: 'submissionId', message: 'invalid' }]);
  }

  const existing = typeof body.submissionId === 'string' ? await ctx.host.collections.get(SUBMISSIONS, body.submissionId) : null;
  if (existing) {
    if (existing.data.formId !== form.id) return problem(409, 'conflict', `submissionId '${existing.id}' was used for another form; send a new one.`);
    if (existing.data.status === 'started') return { status: 200, body: { id: existing.id, ...existing.data } };
    if (existing.data.status === 'failed') return problem(409, 'submission_failed', `Submission '${existing.id}' failed: ${(existing.data.error as { message?: string })?.message ?? 'unknown error'}`);
    return startSubmission(ctx, form, existing);
  }

  const { values, problems } = validateAnswers(form.definition, body.answers);
  if (problems.length > 0) return problem(422, 'validation_failed', `The answers are invalid: ${problems.map((p) => p.message).join('; ')}.`, problems);
  const stored = await ctx.host.collections.put(SUBMISSIONS, { ...(typeof body.submissionId === 'string' ? { id: body.submissionId } : {}), data: { formId: form.id, answers: values, status: 'received', receivedAt: new Date().toISOString() } });
  return startSubmission(ctx, form, stored);
}

/** Lists a form's submissions, newest first, after finishing those a crash left without a run. */
export async function listSubmissions(ctx: RouteContext, request: RouteRequest): Promise<RouteResponse> {
  const form = await loadForm(ctx, request.params.id ?? '');
  if (!form) return problem(404, 'not_found', `Form '${request.params.id}' was not found in this workspace.`);
  const page = await ctx.host.collections.find(SUBMISSIONS, { where: { formId: form.id }, limit: Math.min(Number(request.query.limit ?? 100) || 100, 200), ...(request.query.cursor ? { cursor: request.query.cursor } : {}) });

  const items: JsonObject[] = [];
  for (const document of page.data) {
    let data = document.data;
    if (data.status === 'received' && Date.now() - Date.parse(String(data.receivedAt)) > RECOVER_AFTER_MS) {
      ctx.log.warn(`finishing submission ${document.id}, which was stored without a run`);
      const finished = await startSubmission(ctx, form, document);
      data = { ...data, ...(finished.status === 201 ? { status: 'started', runId: (finished.body as { runId: string }).runId } : { status: 'failed' }) };
    }
    items.push({ id: document.id, ...data, createdAt: document.createdAt });
  }
  return { status: 200, body: { items, nextCursor: page.nextCursor } };
}
