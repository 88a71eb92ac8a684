// The JSON bodies of the API as a browser sees them, written once for the client module and
// the tests. They mirror the routes in src/routes/ and SimpleJWT's answers.

/** `POST /api/token/` */
export interface Credentials {
  username: string;
  password: string;
}

/** `POST /api/token/` answers 200 with both tokens. */
export interface TokenPair {
  access: string;
  refresh: string;
}

/** `POST /api/token/refresh/` and `POST /api/token/blacklist/` */
export interface RefreshRequest {
  refresh: string;
}

/** `POST /api/token/refresh/`: a new refresh token comes back only when rotation is on. */
export interface RefreshResponse {
  access: string;
  refresh?: string;
}

/** `POST /api/token/verify/` */
export interface VerifyRequest {
  token: string;
}

/** `POST /api/register/` */
export interface RegisterRequest {
  username: string;
  password: string;
  email?: string;
}

/** `POST /api/register/` answers 201 with the new user, never the password. */
export interface RegisteredUser {
  id: number;
  username: string;
  email: string;
  is_active: boolean;
  is_staff: boolean;
  date_joined: string;
  last_login: string | null;
}

/** `GET /api/restricted/` */
export interface RestrictedResponse {
  message: string;
}

/** The claims of an access or refresh token, as issued by the API. */
export interface TokenClaims {
  token_type: "access" | "refresh";
  exp: number;
  iat: number;
  jti: string;
  user_id: number;
  [claim: string]: unknown;
}

/** One entry of `messages` in a 401 from a guarded route. */
export interface TokenMessage {
  token_class: string;
  token_type: string;
  message: string;
}

/** Errors with a `detail`: 401, 404, 405, 413, 415, 429 and 500 answers. */
export interface DetailError {
  detail: string;
  code?: string;
  messages?: TokenMessage[];
  request_id?: string;
}

/** 400 answers: messages per field, or under `non_field_errors`. */
export type FieldErrors = Record<string, string[]>;

export type ErrorBody = DetailError | FieldErrors;
