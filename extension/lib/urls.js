/* Orthrus: URL helpers for the background worker (pure).
 *
 * Classic script and CommonJS module: defines `globalThis.OrthrusUrls`.
 */
(function (root, factory) {
  "use strict";
  const api = factory();
  if (typeof module === "object" && module && module.exports) module.exports = api;
  root.OrthrusUrls = api;
})(typeof globalThis !== "undefined" ? globalThis : this, function () {
  "use strict";

  const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

  function parse(url) {
    try {
      return new URL(String(url));
    } catch (_) {
      return null;
    }
  }

  /** Is this a page the extension may look at (http or https)? */
  function isWebPage(url) {
    const u = parse(url);
    return !!u && (u.protocol === "https:" || u.protocol === "http:");
  }

  /** "https://www.instagram.com" for any URL of that page; null for non-web URLs. */
  function originOf(url) {
    const u = parse(url);
    if (!u || (u.protocol !== "https:" && u.protocol !== "http:")) return null;
    return u.origin;
  }

  /** The page URL without its fragment (what the server is asked about). */
  function pageUrl(url) {
    const u = parse(url);
    if (!u || (u.protocol !== "https:" && u.protocol !== "http:")) return null;
    u.hash = "";
    return u.href;
  }

  /**
   * The server address as typed, made canonical: scheme added (https),
   * trailing slashes, query and fragment dropped. Plain http is refused
   * except on this machine (localhost, 127.0.0.1, ::1): the token must not
   * travel in clear. Returns {ok, server} or {ok: false, message}.
   */
  function normalizeServer(input) {
    let s = String(input || "").trim();
    if (!s) return { ok: false, message: "Enter the address of your Orthrus server." };
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) s = "https://" + s;
    const u = parse(s);
    if (!u || (u.protocol !== "https:" && u.protocol !== "http:") || !u.hostname) {
      return { ok: false, message: "That is not a web address. Use something like https://orthrus.example.test." };
    }
    if (u.username || u.password) {
      return { ok: false, message: "Leave the user name and password out of the server address." };
    }
    if (u.protocol === "http:" && !LOOPBACK.has(u.hostname)) {
      return { ok: false, message: "Use https:// for the Orthrus server (plain http is only allowed on localhost)." };
    }
    const path = u.pathname.replace(/\/+$/, "");
    return { ok: true, server: u.origin + path };
  }

  /** `{server}{path}?{query}` for an API call; path starts with "/api/v1/". */
  function apiUrl(server, path, query) {
    let url = String(server).replace(/\/+$/, "") + path;
    if (query) {
      const q = new URLSearchParams();
      for (const k of Object.keys(query)) if (query[k] != null) q.set(k, String(query[k]));
      const qs = q.toString();
      if (qs) url += "?" + qs;
    }
    return url;
  }

  /** Is `url` on the configured server (same origin and under its path)? */
  function onServer(url, server) {
    const u = parse(url);
    const s = parse(server);
    if (!u || !s || u.origin !== s.origin) return false;
    const base = s.pathname.replace(/\/+$/, "");
    return !base || u.pathname === base || u.pathname.indexOf(base + "/") === 0;
  }

  /** Cache key of the candidate accounts for a page: one list per origin. */
  function candidatesKey(url) {
    const o = originOf(url);
    return o ? "cand:" + o : null;
  }

  /** Cache key of the restrictions of a page: per URL (without fragment). */
  function restrictionsKey(url) {
    const p = pageUrl(url);
    return p ? "restr:" + p : null;
  }

  /** Storage key of the pending two-step fill of a tab. */
  function pendingKey(tabId) {
    return "pending:" + tabId;
  }

  /** "Chrome 120 on Windows" and the like, from a user agent string. */
  function browserName(ua) {
    const s = String(ua || "");
    let name = "Browser";
    let m;
    if ((m = s.match(/Edg\/(\d+)/))) name = "Edge " + m[1];
    else if ((m = s.match(/OPR\/(\d+)/))) name = "Opera " + m[1];
    else if ((m = s.match(/Firefox\/(\d+)/))) name = "Firefox " + m[1];
    else if ((m = s.match(/Chrome\/(\d+)/))) name = (/Brave/.test(s) ? "Brave " : "Chrome ") + m[1];
    else if ((m = s.match(/Version\/(\d+).*Safari/))) name = "Safari " + m[1];
    let os = "";
    if (/Windows/.test(s)) os = "Windows";
    else if (/CrOS/.test(s)) os = "ChromeOS";
    else if (/Android/.test(s)) os = "Android";
    else if (/iPhone|iPad/.test(s)) os = "iOS";
    else if (/Mac OS X|Macintosh/.test(s)) os = "macOS";
    else if (/Linux/.test(s)) os = "Linux";
    return os ? name + " on " + os : name;
  }

  return {
    isWebPage, originOf, pageUrl, normalizeServer, apiUrl, onServer,
    candidatesKey, restrictionsKey, pendingKey, browserName,
  };
});
