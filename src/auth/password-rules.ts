// Django's default password validators: minimum length, similarity to the username, common
// passwords and all-digit passwords. Each failure is one message in the `password` field.

export const MIN_PASSWORD_LENGTH = 8;
/** Caps hashing input so a huge password cannot be used to burn CPU. */
export const MAX_PASSWORD_LENGTH = 256;

const MAX_SIMILARITY = 0.7;

/**
 * A short list of the most used passwords of eight characters or more (shorter ones fail the
 * length rule anyway). Django ships 20,000; this keeps the bundle small.
 */
const COMMON_PASSWORDS = new Set(
  `password 12345678 123456789 1234567890 password1 password12 password123 iloveyou
  sunshine princess football baseball welcome1 welcome123 abc12345 trustno1 superman
  starwars whatever qwerty123 qwertyuiop letmein1 passw0rd p@ssw0rd michelle jennifer
  computer corvette mercedes maverick midnight internet samantha jordan23 1q2w3e4r
  1q2w3e4r5t zaq12wsx qazwsxedc asdfghjkl asdfasdf 11111111 00000000 88888888 987654321
  123123123 charlie1 football1 baseball1 dragon12 monkey12 shadow12 master12 freedom1
  changeme changeme1 liverpool chelsea1 arsenal1 fuckyou1 pokemon1 pussycat sunshine1
  iloveyou1 princess1 qwerty12 qwerty1234 1qaz2wsx 1234qwer q1w2e3r4 q1w2e3r4t5 admin123
  administrator letmein123 welcome! password! password01 passwordpassword 12341234
  11223344 12344321 66666666 99999999 55555555 77777777 22222222 33333333 44444444
  aaaaaaaa abcd1234 abcdefgh 987654321 secret123 summer2024 winter2024 spring2024
  autumn2024 hello123 hellohello loveyou1 babygirl1 chocolate butterfly elizabeth
  blink182 rockyou1 starwars1 superman1 batman123 michael1 jessica1 ashley12 nicole12
  daniel12 basketball jordan123 master123 soccer12 hockey12 killer12 trustno1!`.split(/\s+/),
);

/** Django's SequenceMatcher.quick_ratio: shared characters over total length, doubled. */
function quickRatio(a: string, b: string): number {
  if (a.length + b.length === 0) return 1;

  const available = new Map<string, number>();
  for (const char of b) available.set(char, (available.get(char) ?? 0) + 1);

  let matches = 0;
  for (const char of a) {
    const left = available.get(char) ?? 0;
    if (left > 0) {
      matches++;
      available.set(char, left - 1);
    }
  }
  return (2 * matches) / (a.length + b.length);
}

function isTooSimilar(password: string, attribute: string): boolean {
  const lowered = password.toLowerCase();
  // Python's \W is Unicode-aware: "josé" is one word there, so it must be one here too.
  const words = attribute.split(/[^\p{L}\p{N}_]+/u);
  const parts = [attribute, ...words].filter((part) => part.length > 0);

  return parts.some((part) => {
    // Django skips the comparison when the password is far longer than the attribute.
    if (lowered.length >= 10 * part.length && part.length < (MAX_SIMILARITY / 2) * lowered.length) {
      return false;
    }
    return quickRatio(lowered, part.toLowerCase()) >= MAX_SIMILARITY;
  });
}

/**
 * The reasons a password is refused, empty when it is acceptable, in the order of Django's
 * default AUTH_PASSWORD_VALIDATORS (similarity, length, common, numeric).
 */
export function passwordProblems(password: string, username: string, email = ""): string[] {
  const problems: string[] = [];

  if (isTooSimilar(password, username)) {
    problems.push("The password is too similar to the username.");
  } else if (email && isTooSimilar(password, email)) {
    problems.push("The password is too similar to the email address.");
  }
  if (password.length < MIN_PASSWORD_LENGTH) {
    problems.push(
      `This password is too short. It must contain at least ${MIN_PASSWORD_LENGTH} characters.`,
    );
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    problems.push(`Ensure this field has no more than ${MAX_PASSWORD_LENGTH} characters.`);
  }
  if (COMMON_PASSWORDS.has(password.toLowerCase().trim())) {
    problems.push("This password is too common.");
  }
  // Python's str.isdigit(), which Django uses, takes any script's digits.
  if (/^\p{Nd}+$/u.test(password)) problems.push("This password is entirely numeric.");
  return problems;
}
