import { createChatWidgetApi, toProblem, type ChatWidgetConfig } from '$lib/api';
import type { PageLoad } from './$types';

/**
 * Loads the public settings of the widget named by `?widget=`. A missing or unknown widget
 * is returned as a message for the page to show, because this page runs inside other
 * sites' iframes, where the studio's error page would mean nothing to a visitor.
 */
export const load: PageLoad = async ({ fetch, url }) => {
  const widgetId = url.searchParams.get('widget');
  if (!widgetId) return { widgetId: null, config: null as ChatWidgetConfig | null, problem: 'This chat is not set up: the page address needs ?widget=<widget id>.' };

  try {
    return { widgetId, config: await createChatWidgetApi({ fetch }).config(widgetId), problem: null };
  } catch (caught) {
    return { widgetId, config: null as ChatWidgetConfig | null, problem: toProblem(caught).detail };
  }
};
