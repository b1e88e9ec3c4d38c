import type { FieldProblem } from '$lib/api';

declare global {
  namespace App {
    /** What an error page shows: the problem's detail, its code and field errors when the API sent them. */
    interface Error {
      message: string;
      code?: string;
      errors?: FieldProblem[];
    }
  }
}

export {};
