// Structured logs: one JSON object per line. Callers pass ids and reasons, never a token,
// an Authorization header, a password, a hash or a key.

export type LogLevel = "info" | "warn" | "error";

/** Fields a log line may carry; the type leaves no room for secrets by accident. */
export interface LogFields {
  user_id?: number;
  /** The account a staff user acted on. */
  target_user_id?: number;
  reason?: string;
  family_id?: string;
  retry_after?: number;
  count?: number;
  settings?: string[];
  error?: string;
  stack?: string;
}

/** A logger bound to one request: every line carries its request id and client IP. */
export interface RequestLog {
  event(level: LogLevel, event: string, fields?: LogFields): void;
}

/** Writes one JSON line through the console the runtime collects. */
export function writeLog(level: LogLevel, event: string, fields: Record<string, unknown>): void {
  const line = JSON.stringify({ level, event, time: new Date().toISOString(), ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** A logger for one request. */
export function requestLog(requestId: string, clientIp: string): RequestLog {
  return {
    event(level, event, fields = {}) {
      writeLog(level, event, { request_id: requestId, client_ip: clientIp, ...fields });
    },
  };
}
