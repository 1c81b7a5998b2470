// The page's one door to the server: JSON over HTTP under /api/, with the access token.
// Nothing here computes: every number the page shows comes back from these calls. A notebook
// widget sends the same requests another way (over its comm to the kernel): setTransport.

const token = new URLSearchParams(window.location.search).get("token") || "";

/** An error the server answered with (400 and its one-line message), or a network failure. */
export class ApiError extends Error {
  constructor(message, status, body = null) {
    super(message);
    this.status = status;
    this.body = body; // the server's JSON answer (a refused formula's one line in each language: formula_error)
  }
}

let transport = null; // null: HTTP to the explorer's server

/**
 * Send every request of this module another way: `send(path, body)` returns a promise of the
 * decoded answer and rejects with an ApiError (a notebook widget: the kernel over the comm).
 */
export function setTransport(send) {
  transport = send;
}

/** GET or POST `path` (relative to /api/) and return the decoded JSON; throws ApiError. */
export async function call(path, body, options = {}) {
  if (transport) return transport(path, body, options);
  const init = {
    method: body === undefined ? "GET" : "POST",
    headers: { Authorization: `token ${token}` },
    signal: options.signal,
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/api/${path}`, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(`the server did not answer (${err.message}); is descend serve still running?`, 0);
  }
  let data = null;
  try {
    data = await response.json();
  } catch (err) {
    data = null;
  }
  if (!response.ok) {
    const message = (data && (data.error || data.detail)) || `${response.status} ${response.statusText}`;
    throw new ApiError(message, response.status, data);
  }
  return data;
}

/**
 * Keep at most one request of a kind in flight: while one runs, later calls only remember
 * their arguments, and the newest of them is sent when the running one is done (the
 * older ones are dropped). `send(args)` returns a promise; `onResult(value, args)` and
 * `onError(err, args)` receive what came back. The next request goes out before the answer
 * is drawn, so a drag's requests and drawings overlap.
 */
export function latestOnly(send, onResult, onError) {
  let running = false;
  let pending = null;
  async function pump(args) {
    running = true;
    let value;
    let failure = null;
    try {
      value = await send(args);
    } catch (err) {
      failure = err;
    }
    running = false;
    if (pending !== null) {
      const next = pending;
      pending = null;
      pump(next.args);
    }
    try {
      // a result is drawn even when a newer request waits: the view follows a moving slider
      if (failure === null) onResult(value, args); else onError(failure, args);
    } catch (err) {
      if (failure === null) onError(err, args); else throw err;
    }
  }
  return function request(args) {
    if (running) {
      pending = { args };
    } else {
      pump(args);
    }
  };
}

/** Call `fn` once `ms` milliseconds have passed without another call. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export function accessToken() {
  return token;
}
