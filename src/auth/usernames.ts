// Usernames as Django's user model has them: NFKC-normalised, at most 150 characters of
// letters, digits and @ . + - _.

export const MAX_USERNAME_LENGTH = 150;

const ALLOWED = /^[\p{L}\p{N}_.@+-]+$/u;

export const INVALID_USERNAME_MESSAGE =
  "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";

/**
 * Normalises a username for storage and lookup, so two accounts never differ only by Unicode
 * normal form (Django's AbstractBaseUser.normalize_username).
 */
export function normalizeUsername(username: string): string {
  return username.normalize("NFKC");
}

/** True when a normalised username has only the characters Django allows. */
export function isValidUsername(username: string): boolean {
  return username.length <= MAX_USERNAME_LENGTH && ALLOWED.test(username);
}
