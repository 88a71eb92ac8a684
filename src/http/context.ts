// The per-request values the middleware prepares for handlers, typed once for the whole app.

import type { TokenClaims } from "../auth/tokens";
import type { Database } from "../db/client";
import type { User } from "../db/schema";
import type { RequestLog } from "../log";
import type { Settings } from "../settings";

/** What the access-token middleware learnt about the caller. */
export interface Authentication {
  userId: number;
  claims: TokenClaims;
  /** Loaded in the `database` user-check mode, and by the staff check. */
  user?: User;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    settings: Settings;
    db: Database;
    log: RequestLog;
    clientIp: string;
    auth: Authentication;
  };
}
