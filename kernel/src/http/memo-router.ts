import type { Result, Router } from 'hono/router';

/** Paths remembered per HTTP method. Past it the memo is emptied, so that many distinct paths cannot grow it without bound. */
const MAX_PATHS_PER_METHOD = 1_000;

/**
 * Wraps a Hono router and remembers its match results for paths whose match has no path
 * parameters, such as `/api/workspace`. Hono falls back from its RegExpRouter to the slower
 * TrieRouter when routes overlap (`/api/extensions/:id` beside `/api/extensions/contributions`),
 * and the TrieRouter walks and sorts on every request. Results with parameters are not
 * remembered, because their paths carry ids. Routes must all be added before the first match,
 * as Hono's own routers also require.
 *
 * @example
 * const app = new Hono({ router: new MemoRouter(new SmartRouter({ routers: [new RegExpRouter(), new TrieRouter()] })) });
 */
export class MemoRouter<T> implements Router<T> {
  readonly name: string;
  private readonly memo = new Map<string, Map<string, Result<T>>>();

  constructor(private readonly inner: Router<T>) {
    this.name = `MemoRouter(${inner.name})`;
  }

  add(method: string, path: string, handler: T): void {
    this.memo.clear();
    this.inner.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    let paths = this.memo.get(method);
    const remembered = paths?.get(path);
    if (remembered) return remembered;

    const result = this.inner.match(method, path);
    if (!hasParams(result)) {
      if (!paths) {
        paths = new Map();
        this.memo.set(method, paths);
      } else if (paths.size >= MAX_PATHS_PER_METHOD) {
        paths.clear();
      }
      paths.set(path, result);
    }
    return result;
  }
}

/** Tells whether any matched handler receives a path parameter, as a value (TrieRouter) or as an index into the match (RegExpRouter). */
function hasParams<T>(result: Result<T>): boolean {
  return result[0].some(([, params]) => Object.keys(params).length > 0);
}
