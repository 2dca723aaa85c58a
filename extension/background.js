/* Orthrus extension: background service worker (Chromium) / event page (Firefox).
 *
 * The only part that talks to the Orthrus server, and the only holder of
 * the token (chrome.storage.local: the worker may be stopped at any time,
 * so nothing lives only in globals). Content scripts and the popup ask it
 * through chrome.runtime.sendMessage; the page never sees the token.
 *
 * Classic script: Chromium loads lib/urls.js and lib/errors.js with
 * importScripts; Firefox lists them before this file in "background.scripts".
 */
"use strict";

if (typeof importScripts === "function" && typeof globalThis.OrthrusUrls === "undefined") {
  importScripts("lib/urls.js", "lib/errors.js");
}

const ext = globalThis.browser && globalThis.browser.runtime ? globalThis.browser : globalThis.chrome;
const U = globalThis.OrthrusUrls;
const E = globalThis.OrthrusErrors;

const CACHE_MS = 60 * 1000;
const PENDING_MS = 2 * 60 * 1000;
const PAIR_POLL_MS = 2000;
const PAIR_MAX_MS = 5 * 60 * 1000;
const REQUEST_MS = 15 * 1000;
const CODE_WAIT_S = 30;

// --- configuration -------------------------------------------------------

let presetOnce = null;

/** {server, token, expires_at} from storage; a packaged preset.json fills it once. */
async function getConfig() {
  let got = await ext.storage.local.get(["server", "token", "expires_at", "preset_used"]);
  if ((!got.server || !got.token) && !got.preset_used) {
    // Concurrent first calls share one read of the preset.
    if (!presetOnce) presetOnce = applyPreset();
    await presetOnce;
    got = await ext.storage.local.get(["server", "token", "expires_at"]);
  }
  return { server: got.server || null, token: got.token || null, expires_at: got.expires_at || null };
}

async function applyPreset() {
  const preset = await readPreset();
  if (preset) {
    await ext.storage.local.set({ server: preset.server, token: preset.token, expires_at: null, preset_used: true });
  }
}

/** The packaged preset.json ({"server", "token"}) of a preconnected install, if any. */
async function readPreset() {
  try {
    const res = await fetch(ext.runtime.getURL("preset.json"), { cache: "no-store" });
    if (!res.ok) return null;
    const body = await res.json();
    const s = U.normalizeServer(body && body.server);
    if (!s.ok || typeof body.token !== "string" || !body.token) return null;
    return { server: s.server, token: body.token };
  } catch (_) {
    return null; // absent in ordinary installs
  }
}

async function forgetToken() {
  await ext.storage.local.remove(["token", "expires_at"]);
  await clearCaches();
}

async function clearCaches() {
  const all = await ext.storage.session.get(null);
  const keys = Object.keys(all).filter((k) => k.indexOf("cand:") === 0 || k.indexOf("restr:") === 0);
  if (keys.length) await ext.storage.session.remove(keys);
}

// --- the one way to the server ------------------------------------------

/**
 * One request to the configured server (or to `opts.server` while
 * connecting). Never retried. Returns {ok: true, status, data} or an error
 * from lib/errors.js; a 401 on a token request forgets the token.
 */
async function api(method, path, opts) {
  const o = opts || {};
  const cfg = await getConfig();
  const server = o.server || cfg.server;
  if (!server) return E.notConnected();
  const headers = { Accept: "application/json" };
  if (o.auth !== false) {
    if (!cfg.token || o.server) return E.notConnected();
    headers.Authorization = "Bearer " + cfg.token;
  }
  let body;
  if (o.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(o.body);
  }
  let res;
  try {
    res = await fetch(U.apiUrl(server, path, o.query), {
      method,
      headers,
      body,
      credentials: "omit",
      cache: "no-store",
      redirect: "error",
      signal: AbortSignal.timeout(o.timeoutMs || REQUEST_MS),
    });
  } catch (_) {
    return E.unreachable(server);
  }
  let data = null;
  try {
    const text = await res.text();
    data = text ? JSON.parse(text) : null;
  } catch (_) {
    data = undefined;
  }
  const r = E.interpret(res.status, data, o.context);
  if (!r.ok && r.action === "reconnect" && o.auth !== false) await forgetToken();
  return r;
}

// --- caches in session storage (cleared when the browser closes) ---------

async function cached(key) {
  if (!key) return null;
  const got = await ext.storage.session.get(key);
  const v = got[key];
  if (v && Date.now() - v.at < CACHE_MS) return v.value;
  return null;
}

let writes = 0;
async function remember(key, value) {
  if (!key) return;
  await ext.storage.session.set({ [key]: { at: Date.now(), value } });
  if (++writes % 50 === 0) {
    const all = await ext.storage.session.get(null);
    const old = Object.keys(all).filter((k) => (k.indexOf("cand:") === 0 || k.indexOf("restr:") === 0) &&
      Date.now() - all[k].at >= CACHE_MS);
    if (old.length) await ext.storage.session.remove(old);
  }
}

// --- what the pages and the popup ask ------------------------------------

async function candidates(url) {
  if (!U.isWebPage(url)) return { ok: true, candidates: [] };
  const cfg = await getConfig();
  if (!cfg.server || !cfg.token) return { ok: false, error: E.notConnected() };
  if (U.onServer(url, cfg.server)) return { ok: true, candidates: [] };
  const key = U.candidatesKey(url);
  const hit = await cached(key);
  if (hit) return { ok: true, candidates: hit };
  const r = await api("GET", "/api/v1/autofill/candidates", { query: { url: U.pageUrl(url) }, context: "candidates" });
  if (!r.ok) return { ok: false, error: r };
  const list = E.candidates(r.data);
  if (!list) return { ok: false, error: E.invalidAnswer(r.status) };
  await remember(key, list);
  return { ok: true, candidates: list };
}

async function restrictions(url) {
  const open = { blocked: false, message: null, ask: [] };
  if (!U.isWebPage(url)) return open;
  const cfg = await getConfig();
  if (!cfg.server || !cfg.token || U.onServer(url, cfg.server)) return open;
  const key = U.restrictionsKey(url);
  const hit = await cached(key);
  if (hit) return hit;
  const r = await api("GET", "/api/v1/autofill/restrictions", { query: { url: U.pageUrl(url) }, context: "restrictions" });
  // The server decides; when it cannot be asked the page stays usable.
  if (!r.ok) return open;
  const v = E.restrictions(r.data);
  if (v.blocked) v.notice = E.blockedNotice(v);
  await remember(key, v);
  return v;
}

async function fill(url, accountId, step, source) {
  if (!U.isWebPage(url)) return { ok: false, error: { message: "Orthrus only fills web pages." } };
  if (typeof accountId !== "string" && typeof accountId !== "number") {
    return { ok: false, error: { message: "No account was chosen." } };
  }
  if (step === "credentials") {
    const r = await api("POST", "/api/v1/autofill", {
      body: { account_id: accountId, url: U.pageUrl(url), step: "credentials" }, context: "credentials",
    });
    if (!r.ok) return { ok: false, error: r };
    const c = E.credentials(r.data);
    return c.ok ? { ok: true, username: c.data.username, password: c.data.password } : { ok: false, error: c };
  }
  if (step === "code") {
    const r = await api("POST", "/api/v1/autofill", {
      body: Object.assign(
        { account_id: accountId, url: U.pageUrl(url), step: "code", wait: CODE_WAIT_S },
        source === "inbox" || source === "totp" ? { source } : {},
      ),
      context: "code", timeoutMs: (CODE_WAIT_S + 15) * 1000,
    });
    if (!r.ok) return { ok: false, error: r };
    const c = E.code(r.data);
    return c.ok ? { ok: true, code: c.data.code, source: c.data.source } : { ok: false, error: c };
  }
  return { ok: false, error: { message: "Unknown step." } };
}

// Pending two-step fills: per tab, for the origin that started them, 2 minutes.
async function pendingSet(tabId, url, accountId, stage) {
  const origin = U.originOf(url);
  if (tabId == null || !origin) return;
  await ext.storage.session.set({
    [U.pendingKey(tabId)]: { origin, account_id: accountId, stage, expires: Date.now() + PENDING_MS },
  });
}

async function pendingGet(tabId, url) {
  if (tabId == null) return null;
  const key = U.pendingKey(tabId);
  const got = (await ext.storage.session.get(key))[key];
  if (!got) return null;
  if (got.expires <= Date.now()) {
    await ext.storage.session.remove(key);
    return null;
  }
  return got.origin === U.originOf(url) ? got : null;
}

async function pendingClear(tabId) {
  if (tabId != null) await ext.storage.session.remove(U.pendingKey(tabId));
}

// --- connecting ----------------------------------------------------------

async function connectWithLogin(msg) {
  const s = U.normalizeServer(msg.server);
  if (!s.ok) return { ok: false, error: { message: s.message } };
  if (!msg.email || !msg.password) return { ok: false, error: { message: "Enter your email and password." } };
  const body = { email: String(msg.email), password: String(msg.password), client: "extension" };
  if (msg.totp) body.totp = String(msg.totp).replace(/\s+/g, "");
  const r = await api("POST", "/api/v1/auth/login", { server: s.server, auth: false, body, context: "login" });
  if (!r.ok) return { ok: false, error: r };
  if (typeof r.data.token !== "string" || !r.data.token) return { ok: false, error: E.invalidAnswer(r.status) };
  await saveConnection(s.server, r.data.token, r.data.expires_at);
  return { ok: true, server: s.server };
}

async function saveConnection(server, token, expiresAt) {
  await clearCaches();
  await ext.storage.local.set({ server, token, expires_at: typeof expiresAt === "string" ? expiresAt : null });
}

/** Pairing state for the options page (the secret stays in its own key). */
async function pairingState() {
  return (await ext.storage.session.get("pairing")).pairing || null;
}

async function setPairing(state) {
  await ext.storage.session.set({ pairing: state });
}

async function pairStart(msg) {
  const s = U.normalizeServer(msg.server);
  if (!s.ok) return { ok: false, error: { message: s.message } };
  const r = await api("POST", "/api/v1/extension/pairings", {
    server: s.server, auth: false, body: { browser: U.browserName(navigator.userAgent) }, context: "pair-start",
  });
  if (!r.ok) return { ok: false, error: r };
  const p = E.pairingStart(r.data);
  if (!p) return { ok: false, error: E.invalidAnswer(r.status) };
  // The server builds approve_url from its public address, which may differ
  // from the address typed here (a proxy, localhost): any web page is fine.
  if (!U.isWebPage(p.approve_url)) {
    return { ok: false, error: { message: "The server's approval page address is not a web address." } };
  }
  const state = {
    server: s.server, id: p.id, number: p.number, approve_url: p.approve_url,
    deadline: Date.now() + PAIR_MAX_MS, status: "pending", message: null,
  };
  await ext.storage.session.set({ pairing: state, pairing_secret: p.secret });
  try {
    await ext.tabs.create({ url: p.approve_url, active: true });
  } catch (_) { /* the number is shown; the user can open the page */ }
  pollPairing();
  return { ok: true, pairing: state };
}

let polling = false;

/** Ask every 2 s whether the pairing was approved; at most 5 minutes. */
async function pollPairing() {
  if (polling) return;
  polling = true;
  try {
    for (;;) {
      const st = await pairingState();
      if (!st || st.status !== "pending") return;
      if (Date.now() >= st.deadline) {
        await setPairing(Object.assign({}, st, { status: "failed", message: "Nobody approved the pairing within 5 minutes. Start again." }));
        return;
      }
      await new Promise((r) => setTimeout(r, PAIR_POLL_MS));
      const now = await pairingState();
      if (!now || now.status !== "pending" || now.id !== st.id) return; // cancelled or restarted
      const secret = (await ext.storage.session.get("pairing_secret")).pairing_secret;
      let status = 0;
      let data = null;
      try {
        const res = await fetch(U.apiUrl(st.server, "/api/v1/extension/pairings/" + encodeURIComponent(st.id) + "/token"), {
          method: "POST",
          headers: { Accept: "application/json", "Content-Type": "application/json" },
          body: JSON.stringify({ secret }),
          credentials: "omit",
          cache: "no-store",
          redirect: "error",
          signal: AbortSignal.timeout(REQUEST_MS),
        });
        status = res.status;
        try {
          data = await res.json();
        } catch (_) {
          data = undefined;
        }
      } catch (_) {
        await setPairing(Object.assign({}, st, { status: "failed", message: E.unreachable(st.server).message }));
        await ext.storage.session.remove("pairing_secret");
        return;
      }
      const r = E.pollResult(status, data);
      if (r.state === "pending") continue;
      await ext.storage.session.remove("pairing_secret");
      if (r.state === "done") {
        await saveConnection(st.server, r.token, r.expires_at);
        await setPairing(Object.assign({}, st, { status: "done", message: null }));
      } else {
        await setPairing(Object.assign({}, st, { status: "failed", message: r.message }));
      }
      return;
    }
  } finally {
    polling = false;
  }
}

async function pairCancel() {
  await ext.storage.session.remove(["pairing", "pairing_secret"]);
}

async function status() {
  const cfg = await getConfig();
  return {
    connected: !!(cfg.server && cfg.token),
    server: cfg.server,
    expires_at: cfg.expires_at,
    browser: U.browserName(navigator.userAgent),
    pairing: await pairingState(),
  };
}

async function disconnect() {
  await ext.storage.local.remove(["token", "expires_at"]);
  await ext.storage.session.remove(["pairing", "pairing_secret"]);
  await clearCaches();
  return { ok: true };
}

// --- "Sign in" from the popup: the tab's content script does the filling ---

const CONTENT_FILES = ["lib/fields.js", "lib/otp.js", "lib/page.js", "lib/account.js", "content/ui.js", "content/content.js"];

async function signinInTab(tabId, accountId) {
  const msg = { type: "orthrus-fill", account_id: accountId };
  try {
    return await ext.tabs.sendMessage(tabId, msg, { frameId: 0 });
  } catch (_) {
    // Tab opened before the extension was installed: inject and ask again.
    try {
      await ext.scripting.executeScript({ target: { tabId }, files: CONTENT_FILES });
      return await ext.tabs.sendMessage(tabId, msg, { frameId: 0 });
    } catch (_) {
      return { ok: false, error: { message: "Orthrus can't fill this tab. Reload the page and try again." } };
    }
  }
}

// --- messages --------------------------------------------------------------

function fromExtensionPage(sender) {
  return !!sender && sender.id === ext.runtime.id && typeof sender.url === "string" &&
    sender.url.indexOf(ext.runtime.getURL("")) === 0;
}

function fromContentScript(sender) {
  return !!sender && sender.id === ext.runtime.id && !!sender.tab && typeof sender.url === "string" &&
    U.isWebPage(sender.url);
}

/** The page URL a content script speaks for: its own frame's, or a same-origin later one (SPA navigation). */
function senderPageUrl(sender, claimed) {
  if (claimed && U.originOf(claimed) && U.originOf(claimed) === U.originOf(sender.url)) return claimed;
  return sender.url;
}

async function handle(msg, sender) {
  if (!msg || typeof msg.type !== "string") return { ok: false };
  if (fromContentScript(sender) && !fromExtensionPage(sender)) {
    const tabId = sender.tab.id;
    const url = senderPageUrl(sender, msg.url);
    switch (msg.type) {
      case "restrictions": return restrictions(url);
      case "candidates": return candidates(url);
      case "fill": return fill(url, msg.account_id, msg.step, msg.source);
      case "pending-get": return { ok: true, pending: await pendingGet(tabId, url) };
      case "pending-set": await pendingSet(tabId, url, msg.account_id, msg.stage); return { ok: true };
      case "pending-clear": await pendingClear(tabId); return { ok: true };
      default: return { ok: false };
    }
  }
  if (fromExtensionPage(sender)) {
    switch (msg.type) {
      case "status": return status();
      case "candidates": return candidates(msg.url);
      case "connect-login": return connectWithLogin(msg);
      case "pair-start": return pairStart(msg);
      case "pair-cancel": await pairCancel(); return { ok: true };
      case "disconnect": return disconnect();
      case "signin": return signinInTab(msg.tabId, msg.account_id);
      default: return { ok: false };
    }
  }
  return { ok: false };
}

ext.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  handle(msg, sender).then(sendResponse, () => sendResponse({ ok: false, error: { message: "Orthrus hit an internal error." } }));
  return true;
});

ext.tabs.onRemoved.addListener((tabId) => {
  pendingClear(tabId);
});

ext.runtime.onStartup.addListener(() => {
  getConfig();
});
ext.runtime.onInstalled.addListener(() => {
  getConfig();
});

// A worker stopped mid-pairing picks the poll up again when it wakes.
pairingState().then((st) => {
  if (st && st.status === "pending") pollPairing();
});
