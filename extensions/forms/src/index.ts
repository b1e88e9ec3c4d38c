/**
 * Entry of `mify.forms`: forms stored in the workspace's extension collections, served under
 * /api/forms, whose submissions start the bound graph's published version.
 */
import { defineExtension } from '@mify/sdk';
import { createForm, getForm, listForms, listSubmissions, submit, updateForm } from './routes.js';

export default defineExtension({
  routes: {
    // '' is the mount path itself: GET and POST /api/forms.
    'GET ': { handle: listForms },
    'POST ': { handle: createForm },
    // The same routes under /api/ext/mify.forms/forms, where clients of the earlier path call them.
    'GET forms': { handle: listForms },
    'POST forms': { handle: createForm },
    'GET :id': { handle: getForm },
    'PUT :id': { handle: updateForm },
    'POST :id/submit': { handle: submit },
    'GET :id/submissions': { handle: listSubmissions },
  },
});
