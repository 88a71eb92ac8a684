// Reads a request body the way DRF's parsers do: JSON, form-encoded or multipart, into one
// plain object of fields. Anything else is a 4xx with DRF's wording, never an exception.

import type { Context } from "hono";
import { RequestError, ValidationError } from "../errors";

export type Fields = Record<string, unknown>;

/** Content types a body endpoint accepts, for the `415` answer and the API description. */
export const ACCEPTED_MEDIA_TYPES = [
  "application/json",
  "application/x-www-form-urlencoded",
  "multipart/form-data",
] as const;

function mediaType(header: string | undefined): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}

function pythonTypeName(value: unknown): string {
  if (Array.isArray(value)) return "list";
  if (typeof value === "string") return "str";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  return typeof value;
}

function parseJson(text: string): Fields {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's own message quotes the body, which may hold a password: never echo it.
    throw new RequestError(400, "JSON parse error - the body is not valid JSON.");
  }

  if (value === null) throw ValidationError.single("non_field_errors", "No data provided");
  if (typeof value !== "object" || Array.isArray(value)) {
    const message = `Invalid data. Expected a dictionary, but got ${pythonTypeName(value)}.`;
    throw ValidationError.single("non_field_errors", message);
  }
  return value as Fields;
}

function parseForm(text: string): Fields {
  // Like Django's QueryDict, a repeated field keeps its last value.
  return Object.fromEntries(new URLSearchParams(text));
}

async function parseMultipart(request: Request): Promise<Fields> {
  let form: FormData;
  try {
    form = await request.formData();
  } catch (error) {
    if (error instanceof RequestError) throw error;
    throw new RequestError(400, "Multipart form parse error - Invalid multipart body.");
  }

  const fields: Fields = {};
  for (const [name, value] of form) fields[name] = typeof value === "string" ? value : {};
  return fields;
}

/**
 * The raw body. A client that hangs up mid-body is a client error, not ours; the size limit's
 * own 413 passes through.
 */
async function readBytes(request: Request): Promise<ArrayBuffer> {
  try {
    return await request.arrayBuffer();
  } catch (error) {
    if (error instanceof RequestError) throw error;
    throw new RequestError(400, "The request body could not be read.");
  }
}

/** The request's fields; an empty body reads as no fields at all. */
export async function readFields(c: Context): Promise<Fields> {
  const request = c.req.raw;
  const type = mediaType(c.req.header("content-type"));

  if (type === "multipart/form-data") return parseMultipart(request);

  // Decoded by hand: the runtime warns when .text() meets a form-encoded body.
  const text = new TextDecoder().decode(await readBytes(request));
  if (text.length === 0) return {};
  if (type === "application/json") return parseJson(text);
  if (type === "application/x-www-form-urlencoded") return parseForm(text);

  const shown = (c.req.header("content-type") ?? "").slice(0, 100);
  throw new RequestError(415, `Unsupported media type "${shown}" in request.`);
}
