/**
 * Entry of `mify.data`: field editing, templates, user code, JSON, filtering, sorting,
 * limiting, aggregation, splitting, dates and hashing. Each node lives in its own module under
 * nodes/, keyed here by the type its manifest entry declares.
 */
import { defineExtension } from '@mify/sdk';
import { aggregateNode } from './nodes/aggregate.js';
import { code } from './nodes/code.js';
import { crypto } from './nodes/crypto.js';
import { dateTime } from './nodes/date-time.js';
import { editFields } from './nodes/edit-fields.js';
import { filter } from './nodes/filter.js';
import { json } from './nodes/json.js';
import { limit } from './nodes/limit.js';
import { sort } from './nodes/sort.js';
import { splitOut } from './nodes/split-out.js';
import { template } from './nodes/template.js';
import { uuid } from './nodes/uuid.js';

export default defineExtension({
  nodes: {
    'mify.data.edit-fields': editFields,
    'mify.data.template': template,
    'mify.data.code': code,
    'mify.data.json': json,
    'mify.data.filter': filter,
    'mify.data.sort': sort,
    'mify.data.limit': limit,
    'mify.data.aggregate': aggregateNode,
    'mify.data.split-out': splitOut,
    'mify.data.date-time': dateTime,
    'mify.data.crypto': crypto,
    'mify.data.uuid': uuid,
  },
});
