/**
 * Entry of `mify.chat`: chat sessions under /api/chat whose messages run a graph with the
 * conversation's memory, and chat widgets whose public route /api/chat-widget/message
 * serves the embeddable /embed/chat page, with PII redaction of what is stored and sent.
 */
import { defineExtension } from '@mify/sdk';
import { createSession, getSession, postMessage } from './sessions.js';
import { getWidgetConfig, postWidgetMessage } from './widget-message.js';
import { createWidget, getWidget, listWidgetMessages, updateWidget } from './widgets.js';

export default defineExtension({
  routes: {
    'POST sessions': { handle: createSession },
    'GET sessions/:id': { handle: getSession },
    'POST sessions/:id/messages': { handle: postMessage },
    'POST widgets': { handle: createWidget },
    'GET widgets/:id': { handle: getWidget },
    'PUT widgets/:id': { handle: updateWidget },
    'GET widgets/:id/messages': { handle: listWidgetMessages },
    'GET config/:id': { handle: getWidgetConfig },
    'POST message': { handle: postWidgetMessage },
  },
});
