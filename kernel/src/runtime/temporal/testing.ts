/**
 * Test extension `acme.temporal` for the Temporal back end suites. Write it with
 * `writeIsolateExtension({ id, code, manifest })`; its nodes need MIFY_ALLOW_PRIVATE_NETWORK
 * to reach the tests' HTTP server on 127.0.0.1.
 *
 * - `wait`: requests a wait (`parameters.kind`: approval, timer or resume; `parameters.ms`: timer
 *   length or approval expiry), then returns its items with `resume` added;
 * - `report`: posts its idempotency key, attempt and node name to `parameters.url`, busy-waits
 *   `parameters.ms`, and returns its items with the node name appended to `path`;
 * - `secret`: reads credential `parameters.credential` and sends its `apiKey` as the
 *   `x-api-key` header to `parameters.url`; returns only `{ sent: true }`.
 */
export const ACME_TEMPORAL = {
  id: 'acme.temporal',
  manifest: {
    name: 'Acme Temporal test nodes',
    permissions: ['http:fetch:127.0.0.1', 'credentials:read'],
    limits: { memoryLimitMb: 64, timeoutMs: 20_000 },
    contributes: {
      nodes: [
        { type: 'acme.temporal.wait', control: 'wait' },
        { type: 'acme.temporal.report' },
        { type: 'acme.temporal.secret' },
      ].map((spec) => ({
        typeVersion: 1,
        name: spec.type.split('.').pop(),
        description: `Test node ${spec.type}.`,
        category: 'Test',
        inputs: ['main'],
        outputs: ['main'],
        parameters: { type: 'object', properties: {} },
        executionClass: 'opaque',
        ...spec,
      })),
    },
  },
  code: `
export default {
  nodes: {
    'acme.temporal.wait': {
      execute(ctx, input) {
        if (input.resume) return { items: input.items.map((item) => ({ json: { ...item.json, resume: input.resume } })) };
        const wait = { kind: input.parameters.kind, title: 'Check ' + input.node.name, allowEdit: true };
        if (input.parameters.ms !== undefined) wait.until = new Date(Date.now() + input.parameters.ms).toISOString();
        return { wait };
      },
    },
    'acme.temporal.report': {
      async execute(ctx, input) {
        const body = JSON.stringify({ key: input.run.idempotencyKey, attempt: input.run.attempt, node: input.node.name });
        await ctx.host.http.fetch(input.parameters.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const end = Date.now() + (input.parameters.ms || 0);
        while (Date.now() < end) {}
        return { items: input.items.map((item) => ({ json: { ...item.json, path: [...(item.json.path || []), input.node.name] } })) };
      },
    },
    'acme.temporal.secret': {
      async execute(ctx, input) {
        const credential = await ctx.host.credentials.get(input.parameters.credential);
        await ctx.host.http.fetch(input.parameters.url, { method: 'POST', headers: { 'x-api-key': credential.data.apiKey }, body: '{}' });
        return { items: [{ json: { sent: true } }] };
      },
    },
  },
};
`,
};
