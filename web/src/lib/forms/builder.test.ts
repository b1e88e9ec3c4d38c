import { describe, expect, it } from 'vitest';
import type { FormPage } from '$lib/api';
import { addPage, insertField, moveField, newField, removeField, removePage, stepField, updateField } from './builder';

function names(pages: FormPage[]): string[][] {
  return pages.map((page) => page.fields.map((field) => field.name));
}

const PAGES: FormPage[] = [
  { title: 'One', fields: [{ name: 'a', label: 'A', type: 'text' }, { name: 'b', label: 'B', type: 'text' }, { name: 'c', label: 'C', type: 'text' }] },
  { title: 'Two', fields: [{ name: 'd', label: 'D', type: 'text', showWhen: { field: 'a' } }] },
];

describe('form builder operations', () => {
  it('names new fields uniquely', () => {
    const pages = insertField(PAGES, newField(PAGES, 'email'), { page: 0, index: 0 });

    expect(newField(pages, 'email').name).toBe('email_2');
    expect(newField(PAGES, 'select').options).toHaveLength(2);
  });

  it('inserts at a position and appends past the end', () => {
    const field = newField(PAGES, 'number');

    expect(names(insertField(PAGES, field, { page: 0, index: 1 }))[0]).toEqual(['a', 'number_1', 'b', 'c']);
    expect(names(insertField(PAGES, field, { page: 1, index: 99 }))[1]).toEqual(['d', 'number_1']);
  });

  it('moves a field down within a page', () => {
    expect(names(moveField(PAGES, { page: 0, index: 0 }, { page: 0, index: 3 }))[0]).toEqual(['b', 'c', 'a']);
  });

  it('moves a field up within a page', () => {
    expect(names(moveField(PAGES, { page: 0, index: 2 }, { page: 0, index: 0 }))[0]).toEqual(['c', 'a', 'b']);
  });

  it('moves a field to another page', () => {
    expect(names(moveField(PAGES, { page: 0, index: 1 }, { page: 1, index: 0 }))).toEqual([['a', 'c'], ['b', 'd']]);
  });

  it('steps a field by keyboard, across pages at the ends', () => {
    const down = stepField(PAGES, { page: 0, index: 0 }, 1);
    const acrossPages = stepField(PAGES, { page: 0, index: 2 }, 1);
    const atTop = stepField(PAGES, { page: 0, index: 0 }, -1);

    expect(names(down.pages)[0]).toEqual(['b', 'a', 'c']);
    expect(down.position).toEqual({ page: 0, index: 1 });
    expect(names(acrossPages.pages)).toEqual([['a', 'b'], ['c', 'd']]);
    expect(acrossPages.position).toEqual({ page: 1, index: 0 });
    expect(atTop.pages).toBe(PAGES);
  });

  it('renames conditions with the field', () => {
    const pages = updateField(PAGES, { page: 0, index: 0 }, { name: 'plan', label: 'Plan', type: 'text' });

    expect(pages[1]!.fields[0]!.showWhen).toEqual({ field: 'plan' });
  });

  it('drops conditions on a removed field', () => {
    const pages = removeField(PAGES, { page: 0, index: 0 });

    expect(pages[1]!.fields[0]!.showWhen).toBeUndefined();
    expect(names(pages)[0]).toEqual(['b', 'c']);
  });

  it('adds pages and removes only empty ones', () => {
    const pages = addPage(PAGES);

    expect(pages[2]).toEqual({ title: 'Page 3', fields: [] });
    expect(removePage(pages, 2)).toHaveLength(2);
    expect(removePage(pages, 0)).toHaveLength(3);
  });
});
