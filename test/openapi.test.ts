import { Hono } from "hono";
import { inspectRoutes } from "hono/dev";
import { describe, expect, it } from "vitest";
import committed from "../public/openapi.json";
import { app } from "../src/app";
import { buildOpenApiDocument } from "../src/cli/openapi-document";
import type { AppEnv } from "../src/http/context";
import { BASE, call } from "./helpers";

type RoutedApp = Hono<AppEnv>;
type Document = { paths: Record<string, Record<string, unknown>> };

/** Hono's "/api/admin/users/:id{[0-9]+}/" as OpenAPI writes it: "/api/admin/users/{id}/". */
function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z_]+)(\{[^}]*\})?/g, "{$1}");
}

/**
 * The "METHOD path" of every handler the app serves. Middleware (Hono tells it by its `next`
 * parameter) and the 405/OPTIONS catch-alls, registered for ALL methods, serve nothing of
 * their own.
 */
function servedOperations(app: RoutedApp): Set<string> {
  const served = inspectRoutes(app as unknown as Hono)
    .filter((route) => !route.isMiddleware && route.method !== "ALL")
    .map((route) => `${route.method} ${openApiPath(route.path)}`);
  return new Set(served);
}

function describedOperations(document: Document): Set<string> {
  const described = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
  );
  return new Set(described);
}

function undescribed(app: RoutedApp, document: Document): string[] {
  const described = describedOperations(document);
  return [...servedOperations(app)].filter((operation) => !described.has(operation));
}

describe("the API description", () => {
  it("describes every route the app serves", () => {
    const document = buildOpenApiDocument() as Document;

    expect(undescribed(app, document)).toEqual([]);
  });

  it("describes no route the app does not serve", () => {
    const served = servedOperations(app);

    const described = [...describedOperations(buildOpenApiDocument() as Document)];

    expect(described.filter((operation) => !served.has(operation))).toEqual([]);
  });

  it("notices a route added without a description", () => {
    const extended = new Hono<AppEnv>().route("/", app);
    extended.get("/api/new-thing/", (c) => c.json({}));

    const missing = undescribed(extended, buildOpenApiDocument() as Document);

    expect(missing).toEqual(["GET /api/new-thing/"]);
  });

  it("is committed up to date: public/openapi.json equals a fresh build (npm run openapi)", () => {
    expect(committed).toEqual(buildOpenApiDocument());
  });

  it("gives every operation a summary, responses and, for bodies, a schema per media type", () => {
    const document = buildOpenApiDocument() as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };

    for (const methods of Object.values(document.paths)) {
      for (const operation of Object.values(methods)) {
        expect(operation.summary).toEqual(expect.any(String));
        expect(Object.keys(operation.responses as object)).toContain("500");
        const body = operation.requestBody as { content: Record<string, unknown> } | undefined;
        if (body) {
          expect(Object.keys(body.content)).toEqual([
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
          ]);
        }
      }
    }
  });

  it("takes request bodies from the route schemas, with DRF's limits", () => {
    const document = buildOpenApiDocument() as {
      components: { schemas: Record<string, { properties: object; required: string[] }> };
    };

    expect(document.components.schemas.Registration).toMatchObject({
      type: "object",
      properties: {
        username: { type: "string", minLength: 1, maxLength: 150 },
        email: { type: "string", default: "" },
      },
      required: ["username", "password"],
    });
  });
});

describe("serving the description", () => {
  it("answers GET /api/schema/ with the OpenAPI document", async () => {
    const response = await call(new Request(`${BASE}/api/schema/`));

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(committed);
  });

  it("answers GET /api/docs/ with the HTML page", async () => {
    const response = await call(new Request(`${BASE}/api/docs/`));

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await response.text()).toContain("/api/schema/");
  });

  it("answers 405 with Allow to a POST on the schema", async () => {
    const response = await call(new Request(`${BASE}/api/schema/`, { method: "POST" }));

    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
  });
});
