// `npm run openapi`: writes the API description to public/openapi.json, where the static
// assets serve it (and GET /api/schema/ returns it). Runs before `npm run dev` and the build.
// The file is formatted as Prettier would, so `npm run format` leaves it alone.

import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import { buildOpenApiDocument } from "./openapi-document.ts";

const OUTPUT = fileURLToPath(new URL("../../public/openapi.json", import.meta.url));

const options = { ...(await resolveConfig(OUTPUT)), filepath: OUTPUT };
writeFileSync(OUTPUT, await format(JSON.stringify(buildOpenApiDocument()), options));
console.log("Wrote public/openapi.json.");
