// Page-number pagination as DRF's PageNumberPagination does it: `?page=` and `?page_size=`,
// answered as `{count, next, previous, results}` with absolute links to the neighbours.

import { RequestError } from "../errors";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** What the query string asked for; `page` is "last" or a number not yet checked. */
export interface PageRequest {
  page: number | "last";
  size: number;
}

/** The page to answer, once the total is known. */
export interface Page {
  number: number;
  size: number;
  offset: number;
  lastPage: number;
}

/** DRF's answer to a page that is not a positive number or lies past the last page. */
function invalidPage(): RequestError {
  return new RequestError(404, "Invalid page.");
}

/** A positive decimal integer, or undefined. */
function positiveInteger(raw: string | null): number | undefined {
  if (raw === null || !/^\s*\d{1,9}\s*$/.test(raw)) return undefined;

  const value = Number(raw);
  return value >= 1 ? value : undefined;
}

/**
 * Reads `page` and `page_size`. A bad page size falls back to the default and a large one is
 * capped, as DRF does; a bad page is a 404 "Invalid page.".
 */
export function readPageRequest(url: URL): PageRequest {
  const sizeParam = positiveInteger(url.searchParams.get("page_size"));
  const size = Math.min(sizeParam ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);

  const pageParam = url.searchParams.get("page");
  if (pageParam === null) return { page: 1, size };
  if (pageParam === "last") return { page: "last", size };

  const page = positiveInteger(pageParam);
  if (page === undefined) throw invalidPage();
  return { page, size };
}

/** Resolves the request against the total; an empty list still has a first page. */
export function resolvePage(request: PageRequest, total: number): Page {
  const lastPage = Math.max(1, Math.ceil(total / request.size));
  const number = request.page === "last" ? lastPage : request.page;
  if (number > lastPage) throw invalidPage();

  return { number, size: request.size, offset: (number - 1) * request.size, lastPage };
}

/** This URL with `page` set (or removed for the first page), parameters sorted as DRF does. */
function linkTo(url: URL, page: number): string {
  const link = new URL(url);
  if (page === 1) link.searchParams.delete("page");
  else link.searchParams.set("page", String(page));

  link.searchParams.sort();
  return link.toString();
}

/** The paginated answer: the total, the neighbours' absolute URLs, and this page's items. */
export function paginated<T>(url: URL, page: Page, total: number, results: T[]) {
  return {
    count: total,
    next: page.number < page.lastPage ? linkTo(url, page.number + 1) : null,
    previous: page.number > 1 ? linkTo(url, page.number - 1) : null,
    results,
  };
}
