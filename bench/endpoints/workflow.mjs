// The request every system receives in the endpoint bench, and the response it must return.

/** Body of every benchmark request. */
export const REQUEST_BODY = JSON.stringify({ name: 'Ada' });
/** Response body each system's workflow must return: the transform's one field, as JSON. */
export const EXPECTED_RESPONSE = { greeting: 'Hello, Ada!' };

/**
 * Sends one benchmark request and throws unless the response is 200 with a JSON body equal to
 * EXPECTED_RESPONSE, so that a misconfigured workflow cannot be measured.
 */
export async function checkWorkflowResponse(system, url, headers) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: REQUEST_BODY });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${system}: POST ${url} returned ${response.status}, expected 200: ${text.slice(0, 500)}`);

  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${system}: POST ${url} returned a body that is not JSON: ${text.slice(0, 500)}`);
  }
  if (JSON.stringify(body) !== JSON.stringify(EXPECTED_RESPONSE)) {
    throw new Error(`${system}: POST ${url} returned ${text.slice(0, 500)}, expected ${JSON.stringify(EXPECTED_RESPONSE)}.`);
  }
}
