// The few error types the service raises. None of them knows HTTP; `http/error-handler.ts`
// turns each into its status and SimpleJWT/DRF-shaped body in one place.

/** Why a token was refused; each reason has SimpleJWT's wording in `tokenMessages`. */
export type TokenRefusal =
  "invalid" | "wrong_type" | "no_type" | "no_id" | "no_exp" | "no_user" | "blacklisted";

export const tokenMessages: Record<TokenRefusal, string> = {
  invalid: "Token is invalid or expired",
  wrong_type: "Token has wrong type",
  no_type: "Token has no type",
  no_id: "Token has no id",
  no_exp: "Token has no 'exp' claim",
  no_user: "Token contained no recognizable user identification",
  blacklisted: "Token is blacklisted",
};

/** A token that cannot be used. `detail` says which check failed, never the token. */
export class TokenError extends Error {
  constructor(
    readonly refusal: TokenRefusal,
    readonly detail?: string,
  ) {
    super(tokenMessages[refusal]);
    this.name = "TokenError";
  }
}

/** A 401 that is not about the token's own validity: credentials, user state, header shape. */
export class AuthenticationError extends Error {
  constructor(
    readonly detail: string,
    readonly code?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = "AuthenticationError";
  }
}

/** Field errors in DRF's shape: `{"field": ["message", …]}` or `non_field_errors`. */
export class ValidationError extends Error {
  constructor(readonly fields: Record<string, string[]>) {
    super("Invalid input");
    this.name = "ValidationError";
  }

  static single(field: string, message: string): ValidationError {
    return new ValidationError({ [field]: [message] });
  }
}

/** Any other client error answered as `{"detail": …}` with the given status. */
export class RequestError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 405 | 413 | 415 | 429,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
    readonly code?: string,
  ) {
    super(detail);
    this.name = "RequestError";
  }
}
