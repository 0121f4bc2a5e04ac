// Browser mode's transport: the contract over `diffscope serve`'s HTTP protocol. Every request is
// `POST /api/<domain>:<method>` with `{"args": [...]}` and answers `{"result": ...}` or
// `{"error": "..."}`; events arrive on one EventSource at `/api/events`. Built from API_CHANNELS,
// so a method added to the contract needs nothing here. The cookie set by the printed
// `?token=` URL authenticates both (same origin).
import { API_CHANNELS, type ApiEvent, type DiffscopeApi } from '../../../shared/api.ts';

type Call = (channel: string, args: unknown[]) => Promise<unknown>;

/** Thrown for an answer the server refused; `status` is the HTTP status (0: no answer at all). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function readError(res: Response): Promise<string> {
  if (res.status === 401 || res.status === 403) {
    return 'Not signed in: open the address that `diffscope serve` printed (it carries the access token).';
  }
  try {
    const body = (await res.json()) as { error?: unknown };
    if (typeof body.error === 'string' && body.error) return body.error;
  } catch {
    // not JSON: fall through to the status line
  }
  return `${res.status} ${res.statusText || 'error'}`;
}

function httpCall(base: string, fetchImpl: typeof fetch): Call {
  return async (channel, args) => {
    let res: Response;
    try {
      res = await fetchImpl(`${base}/api/${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ args }),
        credentials: 'same-origin',
      });
    } catch (err) {
      throw new ApiError(`Diffscope is not reachable (${err instanceof Error ? err.message : String(err)})`, 0);
    }
    if (!res.ok) throw new ApiError(await readError(res), res.status);
    const body = (await res.json()) as { result?: unknown };
    return body.result;
  };
}

/** The contract's request methods over any call function, one per channel of API_CHANNELS. */
export function requestsOver(call: Call): Omit<DiffscopeApi, 'onEvent'> {
  const domains = Object.entries(API_CHANNELS).map(([domain, methods]) => [
    domain,
    Object.fromEntries(Object.entries(methods).map(([method, channel]) => [method, (...args: unknown[]) => call(channel, args)])),
  ]);
  // The shape is the contract's by construction (API_CHANNELS `satisfies` it); TypeScript cannot
  // follow Object.entries, hence the one cast.
  return Object.fromEntries(domains) as unknown as Omit<DiffscopeApi, 'onEvent'>;
}

/**
 * One EventSource for the page, opened with the first listener and closed with the last.
 * EventSource reconnects by itself after a dropped connection.
 */
function eventsOver(url: string): DiffscopeApi['onEvent'] {
  const listeners = new Set<(event: ApiEvent) => void>();
  let source: EventSource | null = null;
  const deliver = (message: { data: unknown }) => {
    let event: ApiEvent;
    try {
      event = JSON.parse(String(message.data)) as ApiEvent;
    } catch {
      return; // not ours: comments and pings never reach here, garbage is dropped
    }
    for (const listener of listeners) listener(event);
  };
  return (listener) => {
    listeners.add(listener);
    if (!source) {
      source = new EventSource(url, { withCredentials: true });
      source.addEventListener('message', deliver);
    }
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && source) {
        source.close();
        source = null;
      }
    };
  };
}

/** The API object for a page served by `diffscope serve` at `base` (its origin). */
export function createHttpClient(base: string, fetchImpl: typeof fetch = fetch.bind(globalThis)): DiffscopeApi {
  return { ...requestsOver(httpCall(base, fetchImpl)), onEvent: eventsOver(`${base}/api/events`) };
}
