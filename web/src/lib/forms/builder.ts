/**
 * The form builder's editing operations on a list of pages, as pure functions that return
 * new pages, so drag and drop, keyboard moves and the settings panel share one model.
 */
import type { FormField, FormFieldType, FormPage } from '$lib/api';

/** Field types of the builder's palette, with their labels. */
export const PALETTE: Array<{ type: FormFieldType; label: string }> = [
  { type: 'text', label: 'Text' },
  { type: 'textarea', label: 'Long text' },
  { type: 'number', label: 'Number' },
  { type: 'email', label: 'Email' },
  { type: 'select', label: 'Choice' },
  { type: 'checkbox', label: 'Checkbox' },
  { type: 'date', label: 'Date' },
];

/** Position of a field: page index and index in that page. */
export interface FieldPosition {
  page: number;
  index: number;
}

/** Returns `<type>_<n>` with the smallest n not used by another field. */
export function uniqueFieldName(pages: FormPage[], type: FormFieldType): string {
  const used = new Set(pages.flatMap((page) => page.fields.map((field) => field.name)));
  let n = 1;
  while (used.has(`${type}_${n}`)) n += 1;
  return `${type}_${n}`;
}

/** Creates a field of `type` with a unique name and a label from the palette. */
export function newField(pages: FormPage[], type: FormFieldType): FormField {
  const label = PALETTE.find((entry) => entry.type === type)?.label ?? type;
  const field: FormField = { name: uniqueFieldName(pages, type), label, type };
  if (type === 'select') field.options = [{ value: 'yes', label: 'Yes' }, { value: 'no', label: 'No' }];
  return field;
}

function clonePages(pages: FormPage[]): FormPage[] {
  return pages.map((page) => ({ ...page, fields: [...page.fields] }));
}

/** Inserts `field` at `to`; an index past the end appends. */
export function insertField(pages: FormPage[], field: FormField, to: FieldPosition): FormPage[] {
  const next = clonePages(pages);
  const target = next[to.page];
  if (!target) return pages;
  target.fields.splice(Math.min(Math.max(to.index, 0), target.fields.length), 0, field);
  return next;
}

/**
 * Moves the field at `from` so it ends up at `to`, counted in the pages as they are before
 * the move. Moving within a page below the field's own place accounts for its removal.
 */
export function moveField(pages: FormPage[], from: FieldPosition, to: FieldPosition): FormPage[] {
  const field = pages[from.page]?.fields[from.index];
  if (!field || !pages[to.page]) return pages;
  const next = clonePages(pages);
  next[from.page]!.fields.splice(from.index, 1);
  const index = from.page === to.page && to.index > from.index ? to.index - 1 : to.index;
  next[to.page]!.fields.splice(Math.min(Math.max(index, 0), next[to.page]!.fields.length), 0, field);
  return next;
}

/** Moves a field one place up or down, across to the neighbouring page at the ends. Returns its new position. */
export function stepField(pages: FormPage[], from: FieldPosition, direction: -1 | 1): { pages: FormPage[]; position: FieldPosition } {
  const count = pages[from.page]?.fields.length ?? 0;
  const index = from.index + direction;
  if (index >= 0 && index < count) {
    return { pages: moveField(pages, from, { page: from.page, index: direction === 1 ? index + 1 : index }), position: { page: from.page, index } };
  }
  const page = from.page + direction;
  if (page < 0 || page >= pages.length) return { pages, position: from };
  const targetIndex = direction === 1 ? 0 : pages[page]!.fields.length;
  return { pages: moveField(pages, from, { page, index: targetIndex }), position: { page, index: targetIndex } };
}

/** Replaces the field at `at`. A rename also renames conditions that name the field. */
export function updateField(pages: FormPage[], at: FieldPosition, field: FormField): FormPage[] {
  const previous = pages[at.page]?.fields[at.index];
  if (!previous) return pages;
  const next = clonePages(pages);
  next[at.page]!.fields[at.index] = field;
  if (previous.name === field.name) return next;
  return next.map((page) => ({
    ...page,
    fields: page.fields.map((other) => (other.showWhen?.field === previous.name ? { ...other, showWhen: { ...other.showWhen, field: field.name } } : other)),
  }));
}

/** Removes the field at `at` and the conditions that named it. */
export function removeField(pages: FormPage[], at: FieldPosition): FormPage[] {
  const removed = pages[at.page]?.fields[at.index];
  if (!removed) return pages;
  const next = clonePages(pages);
  next[at.page]!.fields.splice(at.index, 1);
  return next.map((page) => ({
    ...page,
    fields: page.fields.map((other) => {
      if (other.showWhen?.field !== removed.name) return other;
      const { showWhen: _dropped, ...rest } = other;
      return rest;
    }),
  }));
}

/** Appends an empty page titled `Page <n>`. */
export function addPage(pages: FormPage[]): FormPage[] {
  return [...pages, { title: `Page ${pages.length + 1}`, fields: [] }];
}

/** Removes an empty page; a page with fields and the last page stay. */
export function removePage(pages: FormPage[], index: number): FormPage[] {
  if (pages.length <= 1 || (pages[index]?.fields.length ?? 1) > 0) return pages;
  return pages.filter((_page, position) => position !== index);
}
