// One Drizzle handle per D1 binding, made once per isolate.

import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Database = DrizzleD1Database<typeof schema>;

const handles = new WeakMap<D1Database, Database>();

/** The Drizzle database for a D1 binding. */
export function database(binding: D1Database): Database {
  let db = handles.get(binding);
  if (!db) {
    db = drizzle(binding, { schema });
    handles.set(binding, db);
  }
  return db;
}
