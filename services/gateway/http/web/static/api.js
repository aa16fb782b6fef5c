// The public REST API as the pages use it: a short-lived token kept in sessionStorage (never the
// API key), JSON in and out, problem+json errors turned into readable messages.

const TOKEN = "groundtruth.token";
const SESSION = "groundtruth.session";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export function currentSession() {
  const token = sessionStorage.getItem(TOKEN);
  const session = sessionStorage.getItem(SESSION);
  if (!token || !session) return null;
  try {
    const parsed = JSON.parse(session);
    if (parsed.expires_at && Date.parse(parsed.expires_at) <= Date.now()) {
      signOut();
      return null;
    }
    return parsed;
  } catch {
    signOut();
    return null;
  }
}

export function signOut() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(SESSION);
}

async function send(method, path, { bearer, params, body } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const headers = { Accept: "application/json" };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, "The Groundtruth API cannot be reached. Check your connection and try again.");
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null; // not JSON (a proxy's error page, say): report the status below
  }
  if (!response.ok) {
    const detail = (data && (data.detail || data.title)) || `HTTP ${response.status}`;
    throw new ApiError(response.status, detail);
  }
  return data;
}

// Sign in with an API key (exchanged at once for a token; the key is not kept) or with a token.
export async function signIn(secret) {
  const value = secret.trim();
  if (!value) throw new ApiError(400, "Enter an API key or a token.");
  let token = value;
  let expiresAt = null;
  if (value.startsWith("gt_")) {
    const issued = await send("POST", "/v1/auth/token", { bearer: value });
    token = issued.access_token;
    expiresAt = issued.expires_at;
  } else if (!value.startsWith("gtt_")) {
    throw new ApiError(400, "That is neither an API key (gt_…) nor a token (gtt_…).");
  }
  const session = await send("GET", "/v1/auth/session", { bearer: token });
  session.expires_at = expiresAt || tokenExpiry(token);
  sessionStorage.setItem(TOKEN, token);
  sessionStorage.setItem(SESSION, JSON.stringify(session));
  return session;
}

// The expiry written in a token's (signed) payload; the server checks it, this only informs the page.
function tokenExpiry(token) {
  try {
    const payload = token.slice(4).split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(payload + "=".repeat((4 - (payload.length % 4)) % 4)));
    return new Date(claims.exp * 1000).toISOString();
  } catch {
    return null;
  }
}

export async function api(method, path, options = {}) {
  const token = sessionStorage.getItem(TOKEN);
  try {
    return await send(method, path, { ...options, bearer: token });
  } catch (error) {
    if (error.status === 401) {
      signOut();
      window.dispatchEvent(new CustomEvent("groundtruth:signed-out", { detail: error.message }));
    }
    throw error;
  }
}

export const get = (path, params) => api("GET", path, { params });

// Every page of a paged list (scores, opportunities), bounded so a huge tenant cannot hang the page.
export async function getAll(path, params, field, maxPages = 20) {
  const items = [];
  let pageToken = "";
  for (let page = 0; page < maxPages; page += 1) {
    const answer = await get(path, { ...params, page_size: 500, page_token: pageToken });
    items.push(...(answer[field] || []));
    pageToken = answer.next_page_token;
    if (!pageToken) break;
  }
  return items;
}
