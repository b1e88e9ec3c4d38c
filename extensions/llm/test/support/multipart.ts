/** A `multipart/form-data` parser for the stub servers, so tests check uploads byte for byte. */

export interface FormPart {
  name: string;
  fileName?: string;
  contentType?: string;
  data: Buffer;
}

/** Splits a multipart body by the boundary of its content type; throws on a malformed body. */
export function parseMultipart(contentType: string, body: Buffer): FormPart[] {
  const boundary = /boundary=("?)([^";]+)\1/i.exec(contentType)?.[2];
  if (!boundary) throw new Error(`no boundary in content type ${JSON.stringify(contentType)}`);
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];

  let position = body.indexOf(delimiter);
  if (position !== 0) throw new Error('the body does not start with the boundary');
  for (;;) {
    position += delimiter.length;
    if (body.subarray(position, position + 2).toString() === '--') break;
    if (body.subarray(position, position + 2).toString() !== '\r\n') throw new Error('a boundary is not followed by CRLF');
    position += 2;

    const headerEnd = body.indexOf('\r\n\r\n', position);
    const headers = body.subarray(position, headerEnd).toString('utf8').split('\r\n');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (headerEnd < 0 || next < 0) throw new Error('a part is not closed by the boundary');

    const disposition = headers.find((line) => /^content-disposition:/i.test(line)) ?? '';
    const name = /;\s*name="([^"]*)"/.exec(disposition)?.[1];
    if (name === undefined) throw new Error(`a part has no name: ${disposition}`);
    const fileName = /;\s*filename="([^"]*)"/.exec(disposition)?.[1];
    const type = headers.find((line) => /^content-type:/i.test(line))?.split(':')[1]?.trim();
    parts.push({ name, ...(fileName === undefined ? {} : { fileName }), ...(type === undefined ? {} : { contentType: type }), data: body.subarray(headerEnd + 4, next) });
    position = next + 2;
  }
  return parts;
}
