// DRF's BooleanField for request bodies: JSON booleans, and the words a form can send.

import * as v from "valibot";

/** "yes" → "yes", "Yes", "YES": the three spellings DRF accepts for each word. */
function spellings(words: string[], digit: string): string[] {
  const all = words.flatMap((word) => [
    word,
    word[0]!.toUpperCase() + word.slice(1),
    word.toUpperCase(),
  ]);
  return [...new Set([...all, digit])];
}

export const TRUE_VALUES = spellings(["true", "t", "yes", "y", "on"], "1");
export const FALSE_VALUES = spellings(["false", "f", "no", "n", "off"], "0");

function booleanMessage(issue: v.BaseIssue<unknown>): string {
  return issue.input === null ? "This field may not be null." : "Must be a valid boolean.";
}

function toBoolean(input: boolean | string | 0 | 1): boolean {
  if (typeof input === "boolean") return input;
  return input === 1 || TRUE_VALUES.includes(String(input));
}

/** An optional boolean field; absent stays undefined, so a partial update leaves it alone. */
export function optionalBoolean() {
  const accepted = v.union(
    [v.boolean(), v.picklist([...TRUE_VALUES, ...FALSE_VALUES]), v.picklist([0, 1])],
    booleanMessage,
  );
  return v.optional(v.pipe(accepted, v.transform(toBoolean)));
}
