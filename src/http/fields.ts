// Input validation with valibot, worded as DRF's serializers word it, so clients that read
// `{"field": ["This field is required."]}` keep working.

import * as v from "valibot";
import { ValidationError } from "../errors";
import type { Fields } from "./body";

type AnyObjectSchema = v.ObjectSchema<v.ObjectEntries, v.ErrorMessage<v.ObjectIssue> | undefined>;

/** DRF's CharField message for a value that is missing, null or not a string. */
function stringMessage(issue: v.BaseIssue<unknown>): string {
  if (issue.input === undefined) return "This field is required.";
  if (issue.input === null) return "This field may not be null.";
  return "Not a valid string.";
}

const tooLong = (max: number) => `Ensure this field has no more than ${max} characters.`;

/** DRF's CharField reads a number as its text; booleans, lists and objects stay refused. */
function numberAsText(input: unknown): unknown {
  return typeof input === "number" ? String(input) : input;
}

/** A text field before trimming and length checks: a string, or a number read as one. */
function text() {
  return v.pipe(
    v.unknown(),
    v.transform(numberAsText),
    v.string(stringMessage),
    // A lone surrogate has no UTF-8 form: two different inputs would hash or store the same.
    v.check((value) => value.isWellFormed(), "Not a valid string."),
  );
}

/** An object of fields; a missing required field reads "This field is required.". */
export function form<TEntries extends v.ObjectEntries>(entries: TEntries) {
  return v.object(entries, "This field is required.");
}

/** A required text field, trimmed, not blank, at most `max` characters. */
export function requiredText(max: number) {
  return v.pipe(
    text(),
    v.trim(),
    v.nonEmpty("This field may not be blank."),
    v.maxLength(max, tooLong(max)),
  );
}

/** An optional text field; missing reads as "". */
export function optionalText(max: number) {
  return v.optional(v.pipe(text(), v.trim(), v.maxLength(max, tooLong(max))), "");
}

/**
 * Validates fields against an object schema. Throws ValidationError with the first message of
 * every failing field, in DRF's `{"field": ["message"]}` shape.
 */
export function validate<TSchema extends AnyObjectSchema>(
  schema: TSchema,
  fields: Fields,
): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, fields, { abortPipeEarly: true });
  if (result.success) return result.output;

  const errors: Record<string, string[]> = {};
  for (const issue of result.issues) {
    const field = issue.path?.[0]?.key;
    const name = typeof field === "string" ? field : "non_field_errors";
    errors[name] ??= [issue.message];
  }
  throw new ValidationError(errors);
}
