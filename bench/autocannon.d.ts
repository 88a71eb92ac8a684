// The part of autocannon's API the benchmark uses (the package ships no types).

interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
  onResponse?: (status: number, body: string) => void;
}

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  requests: { total: number; sent: number };
  statusCodeStats: Record<string, { count: number }>;
}

interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(
    event: "response",
    listener: (client: unknown, status: number, bytes: number, ms: number) => void,
  ): void;
}

type Autocannon = (options: {
  url: string;
  connections: number;
  pipelining: number;
  duration?: number;
  amount?: number;
  timeout?: number;
  requests: AutocannonRequest[];
}) => AutocannonInstance;
