// The OpenAPI 3.1 description of every endpoint, built from the route modules' own valibot
// schemas. Uses no Node or Worker API, so `generate-openapi.ts` writes it to
// public/openapi.json at build time and the tests compare that file with a fresh build.

import { toJsonSchema, type ConversionConfig } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { ACCEPTED_MEDIA_TYPES } from "../http/body.ts";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../http/pagination.ts";
import { passwordChangeSchema } from "../routes/account.ts";
import { userChangeSchema } from "../routes/admin.ts";
import { registrationSchema } from "../routes/register.ts";
import { credentialsSchema, refreshSchema, verifySchema } from "../routes/token.ts";

type JsonObject = Record<string, unknown>;
type BodySchema = v.GenericSchema;

/** Describes what a body field accepts after parsing: trimmed text, DRF's boolean words. */
const CONVERSION: ConversionConfig = {
  target: "draft-2020-12",
  typeMode: "output",
  ignoreActions: ["trim", "transform", "check"],
};

interface Answer {
  description: string;
  /** A component name under #/components/schemas, or an inline schema. */
  schema?: string | JsonObject;
  headers?: JsonObject;
  mediaType?: string;
}

interface Operation {
  method: "get" | "post" | "patch" | "delete";
  path: string;
  tag: "tokens" | "account" | "admin" | "description";
  summary: string;
  description: string;
  /** Who may call it: anyone, a holder of an access token, or staff. */
  access: "anyone" | "access_token" | "staff";
  /** The request body: a component name and the route module's valibot schema. */
  body?: { name: string; schema: BodySchema };
  parameters?: JsonObject[];
  answers: Record<number, Answer>;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const USER_ID = {
  name: "id",
  in: "path",
  required: true,
  description: "The user's id.",
  schema: { type: "integer", minimum: 1 },
};

const THROTTLED: Answer = {
  description: "Too many attempts; `Retry-After` says how many seconds to wait.",
  schema: "Detail",
  headers: { "Retry-After": { schema: { type: "integer" } } },
};

const NOT_FOUND: Answer = { description: "No user with this id.", schema: "Detail" };

const ADMIN_LIST_PARAMETERS = [
  {
    name: "page",
    in: "query",
    description: 'Page number, from 1, or "last". Past the last page: 404 "Invalid page.".',
    schema: { anyOf: [{ type: "integer", minimum: 1 }, { const: "last" }] },
  },
  {
    name: "page_size",
    in: "query",
    description: `Users per page; default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}.`,
    schema: { type: "integer", minimum: 1, maximum: MAX_PAGE_SIZE },
  },
  {
    name: "search",
    in: "query",
    description:
      "Words separated by spaces or commas; a user matches when the username contains every word, ignoring case.",
    schema: { type: "string" },
  },
];

/** Every operation the Worker serves. A route without an entry here fails the tests. */
export const OPERATIONS: Operation[] = [
  {
    method: "post",
    path: "/api/token/",
    tag: "tokens",
    summary: "Obtain a token pair",
    description: "Exchanges a username and password for an access and a refresh token.",
    access: "anyone",
    body: { name: "Credentials", schema: credentialsSchema },
    answers: {
      200: { description: "The credentials are right.", schema: "TokenPair" },
      401: {
        description:
          'Wrong credentials or inactive user: "No active account found with the given credentials". An account whose stored hash is too costly to check answers `password_reset_required`.',
        schema: "CodedDetail",
      },
      429: THROTTLED,
    },
  },
  {
    method: "post",
    path: "/api/token/refresh/",
    tag: "tokens",
    summary: "Refresh the access token",
    description:
      "Trades a refresh token for a new access token and, with rotation on, a new refresh token; the old one is then retired.",
    access: "anyone",
    body: { name: "RefreshRequest", schema: refreshSchema },
    answers: {
      200: { description: "A new access token (and refresh token).", schema: "RefreshResult" },
      401: { description: "The refresh token cannot be used.", schema: "CodedDetail" },
    },
  },
  {
    method: "post",
    path: "/api/token/verify/",
    tag: "tokens",
    summary: "Verify a token",
    description: "Checks any token's signature and claims; a refresh token must also be live.",
    access: "anyone",
    body: { name: "VerifyRequest", schema: verifySchema },
    answers: {
      200: { description: "The token is valid.", schema: "Empty" },
      401: { description: "The token is not valid.", schema: "CodedDetail" },
    },
  },
  {
    method: "post",
    path: "/api/token/blacklist/",
    tag: "tokens",
    summary: "Log out",
    description: "Revokes a refresh token so it can never refresh again.",
    access: "anyone",
    body: { name: "RefreshRequest", schema: refreshSchema },
    answers: {
      200: { description: "Logged out.", schema: "Empty" },
      401: { description: "The refresh token cannot be used.", schema: "CodedDetail" },
    },
  },
  {
    method: "post",
    path: "/api/register/",
    tag: "account",
    summary: "Register",
    description:
      "Creates an account. Usernames and passwords follow Django's default rules; field errors come back per field.",
    access: "anyone",
    body: { name: "Registration", schema: registrationSchema },
    answers: {
      201: { description: "The new account.", schema: "User" },
      429: THROTTLED,
    },
  },
  {
    method: "get",
    path: "/api/restricted/",
    tag: "account",
    summary: "Restricted content",
    description: "Answers only callers with a valid access token.",
    access: "access_token",
    answers: {
      200: {
        description: "The caller's access token is valid.",
        schema: {
          type: "object",
          properties: { message: { type: "string" } },
          required: ["message"],
        },
      },
    },
  },
  {
    method: "post",
    path: "/api/logout/all/",
    tag: "account",
    summary: "Log out everywhere",
    description:
      "Revokes every refresh token of the caller and, in the database user-check mode, every access token.",
    access: "access_token",
    answers: { 200: { description: "Every session ended.", schema: "Empty" } },
  },
  {
    method: "post",
    path: "/api/password/change/",
    tag: "account",
    summary: "Change password",
    description:
      "Changes the caller's password after checking the old one, and ends every session.",
    access: "access_token",
    body: { name: "PasswordChange", schema: passwordChangeSchema },
    answers: { 200: { description: "Password changed.", schema: "Empty" } },
  },
  {
    method: "get",
    path: "/api/admin/users/",
    tag: "admin",
    summary: "List users",
    description: "Every account, oldest first, a page at a time, optionally searched by username.",
    access: "staff",
    parameters: ADMIN_LIST_PARAMETERS,
    answers: {
      200: { description: "One page of users.", schema: "UserPage" },
      400: { description: "Too many search words.", schema: "FieldErrors" },
      404: { description: 'The page does not exist: "Invalid page.".', schema: "Detail" },
    },
  },
  {
    method: "get",
    path: "/api/admin/users/{id}/",
    tag: "admin",
    summary: "Show a user",
    description: "One account as staff see it.",
    access: "staff",
    parameters: [USER_ID],
    answers: { 200: { description: "The user.", schema: "AdminUser" }, 404: NOT_FOUND },
  },
  {
    method: "patch",
    path: "/api/admin/users/{id}/",
    tag: "admin",
    summary: "Activate, deactivate, grant or revoke staff",
    description:
      "Changes `is_active` and `is_staff`; fields left out stay as they are. Deactivating also ends every session of the user.",
    access: "staff",
    parameters: [USER_ID],
    body: { name: "UserChange", schema: userChangeSchema },
    answers: { 200: { description: "The changed user.", schema: "AdminUser" }, 404: NOT_FOUND },
  },
  {
    method: "delete",
    path: "/api/admin/users/{id}/",
    tag: "admin",
    summary: "Delete a user",
    description: "Deletes the account and its refresh tokens.",
    access: "staff",
    parameters: [USER_ID],
    answers: { 204: { description: "Deleted." }, 404: NOT_FOUND },
  },
  {
    method: "post",
    path: "/api/admin/users/{id}/revoke-sessions/",
    tag: "admin",
    summary: "Revoke a user's sessions",
    description:
      "Revokes every refresh token of the user and, in the database user-check mode, every access token.",
    access: "staff",
    parameters: [USER_ID],
    answers: { 200: { description: "Every session ended.", schema: "Empty" }, 404: NOT_FOUND },
  },
  {
    method: "get",
    path: "/api/schema/",
    tag: "description",
    summary: "This API description",
    description: "The OpenAPI 3.1 document you are reading.",
    access: "anyone",
    answers: { 200: { description: "The document.", schema: { type: "object" } } },
  },
  {
    method: "get",
    path: "/api/docs/",
    tag: "description",
    summary: "Readable API documentation",
    description: "An HTML page that renders this document.",
    access: "anyone",
    answers: {
      200: { description: "The page.", mediaType: "text/html", schema: { type: "string" } },
    },
  },
];

const STRING = { type: "string" };
const NULLABLE_STRING = { type: ["string", "null"] };

const USER_PROPERTIES = {
  id: { type: "integer" },
  username: STRING,
  email: STRING,
  is_active: { type: "boolean" },
  is_staff: { type: "boolean" },
  date_joined: { type: "string", format: "date-time" },
  last_login: { ...NULLABLE_STRING, format: "date-time" },
};

function objectSchema(properties: JsonObject, description?: string): JsonObject {
  const schema = { type: "object", properties, required: Object.keys(properties) };
  return description ? { description, ...schema } : schema;
}

/** Response bodies, the error shapes included, named once and referred to everywhere. */
const COMPONENTS: Record<string, JsonObject> = {
  TokenPair: objectSchema({ refresh: STRING, access: STRING }),
  RefreshResult: {
    type: "object",
    properties: { access: STRING, refresh: STRING },
    required: ["access"],
    description: "`refresh` is present when refresh tokens rotate.",
  },
  Empty: { type: "object", additionalProperties: false },
  User: objectSchema(USER_PROPERTIES),
  AdminUser: objectSchema({ ...USER_PROPERTIES, is_superuser: { type: "boolean" } }),
  UserPage: objectSchema({
    count: { type: "integer" },
    next: { ...NULLABLE_STRING, format: "uri" },
    previous: { ...NULLABLE_STRING, format: "uri" },
    results: { type: "array", items: ref("AdminUser") },
  }),
  Detail: objectSchema({ detail: STRING }, 'DRF\'s error shape: `{"detail": "…"}`.'),
  CodedDetail: {
    type: "object",
    description:
      "An error with a stable `code` where SimpleJWT gives one, such as `token_not_valid`.",
    properties: { detail: STRING, code: STRING },
    required: ["detail"],
  },
  AccessTokenError: {
    type: "object",
    description:
      "SimpleJWT's answer on routes that need an access token. `code` and `messages` are absent when no credentials were sent.",
    properties: {
      detail: STRING,
      code: STRING,
      messages: {
        type: "array",
        items: objectSchema({ token_class: STRING, token_type: STRING, message: STRING }),
      },
    },
    required: ["detail"],
  },
  FieldErrors: {
    type: "object",
    description:
      'DRF\'s validation errors: each bad field (or `non_field_errors`) with its messages, such as `{"username": ["This field is required."]}`.',
    additionalProperties: { type: "array", items: STRING },
  },
  ServerError: {
    ...objectSchema({ detail: STRING, code: STRING, request_id: STRING }),
    description:
      "An unexpected error (`server_error`) or invalid settings (`invalid_settings`, naming the settings).",
  },
};

/** Answers many operations share, described once under #/components/responses. */
const SHARED_ANSWERS: Record<string, Answer> = {
  BadRequest: { description: "Bad fields or an unreadable body.", schema: "FieldErrors" },
  PayloadTooLarge: { description: "The body is too large.", schema: "Detail" },
  UnsupportedMediaType: { description: "The body's media type is not accepted.", schema: "Detail" },
  Unauthorized: {
    description:
      "No access token, or one that is not valid (or, on staff routes, whose user is gone or inactive). Carries `WWW-Authenticate`.",
    schema: "AccessTokenError",
  },
  Forbidden: { description: "The caller is not staff.", schema: "Detail" },
  MethodNotAllowed: {
    description: "The path does not take this method; `Allow` lists those it takes.",
    schema: "Detail",
  },
  ServerError: { description: "A server error or invalid settings.", schema: "ServerError" },
};

/** The shared answers an operation can give, by status, before its own. */
function sharedAnswers(operation: Operation): Record<number, string> {
  const answers: Record<number, string> = {};
  if (operation.body) {
    Object.assign(answers, {
      400: "BadRequest",
      413: "PayloadTooLarge",
      415: "UnsupportedMediaType",
    });
  }
  if (operation.access !== "anyone") answers[401] = "Unauthorized";
  if (operation.access === "staff") answers[403] = "Forbidden";
  return { ...answers, 405: "MethodNotAllowed", 500: "ServerError" };
}

function describeAnswer(answer: Answer): JsonObject {
  const described: JsonObject = { description: answer.description };
  if (answer.headers) described.headers = answer.headers;
  if (answer.schema) {
    const schema = typeof answer.schema === "string" ? ref(answer.schema) : answer.schema;
    described.content = { [answer.mediaType ?? "application/json"]: { schema } };
  }
  return described;
}

/** A valibot body schema as JSON Schema, without the dialect (OpenAPI 3.1 sets it). */
function bodyJsonSchema(schema: BodySchema): JsonObject {
  const { $schema: _dialect, ...jsonSchema } = toJsonSchema(schema, CONVERSION) as JsonObject;
  return jsonSchema;
}

/** The body, the same schema for each media type the body parser accepts. */
function describeBody(name: string): JsonObject {
  const content = Object.fromEntries(
    ACCEPTED_MEDIA_TYPES.map((type) => [type, { schema: ref(name) }]),
  );
  return { required: true, content };
}

/** "patch /api/admin/users/{id}/" → "patch_api_admin_users_id". */
function operationId(operation: Operation): string {
  const words = operation.path.split(/[^a-z]+/).filter((word) => word.length > 0);
  return [operation.method, ...words].join("_");
}

function describeOperation(operation: Operation): JsonObject {
  const shared = Object.entries(sharedAnswers(operation)).map(([status, name]) => [
    status,
    { $ref: `#/components/responses/${name}` },
  ]);
  const own = Object.entries(operation.answers).map(([status, answer]) => [
    status,
    describeAnswer(answer),
  ]);
  const described: JsonObject = {
    tags: [operation.tag],
    summary: operation.summary,
    description: operation.description,
    operationId: operationId(operation),
  };

  if (operation.access !== "anyone") described.security = [{ accessToken: [] }];
  if (operation.parameters) described.parameters = operation.parameters;
  if (operation.body) described.requestBody = describeBody(operation.body.name);
  // An operation's own answer for a status replaces the shared one.
  described.responses = Object.fromEntries(
    [...shared, ...own].sort(([a], [b]) => Number(a) - Number(b)),
  );
  return described;
}

/** The whole OpenAPI 3.1 document. */
export function buildOpenApiDocument(): JsonObject {
  const paths: Record<string, JsonObject> = {};
  const schemas: Record<string, JsonObject> = { ...COMPONENTS };
  for (const operation of OPERATIONS) {
    paths[operation.path] ??= {};
    paths[operation.path]![operation.method] = describeOperation(operation);
    if (operation.body) schemas[operation.body.name] = bodyJsonSchema(operation.body.schema);
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "JWT authentication API",
      version: "1.0.0",
      description:
        "A djangorestframework-simplejwt compatible API on Cloudflare Workers. Bodies may be JSON, form-encoded or multipart; errors keep DRF's shapes.",
    },
    tags: [
      { name: "tokens", description: "SimpleJWT's token views." },
      { name: "account", description: "Registration and the signed-in user's sessions." },
      { name: "admin", description: "User administration for staff users." },
      { name: "description", description: "This description of the API." },
    ],
    paths,
    components: {
      schemas,
      responses: Object.fromEntries(
        Object.entries(SHARED_ANSWERS).map(([name, answer]) => [name, describeAnswer(answer)]),
      ),
      securitySchemes: {
        accessToken: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "`Authorization: Bearer <access token>`.",
        },
      },
    },
  };
}
