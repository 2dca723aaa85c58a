/* Orthrus: what the server's answers mean for the extension (pure).
 *
 * Every answer becomes either {ok: true, data} or
 * {ok: false, code, message, action} where `message` is a sentence for
 * people and `action` says what the popup offers: "reconnect" (the token
 * is gone: 401), "connect" (never connected), "totp" (ask for the 2FA code)
 * or null. Nothing here retries: one request per user action.
 *
 * Classic script and CommonJS module: defines `globalThis.OrthrusErrors`.
 */
(function (root, factory) {
  "use strict";
  const api = factory();
  if (typeof module === "object" && module && module.exports) module.exports = api;
  root.OrthrusErrors = api;
})(typeof globalThis !== "undefined" ? globalThis : this, function () {
  "use strict";

  function fail(code, message, action) {
    return { ok: false, code, message, action: action || null };
  }

  function unreachable(server) {
    return fail("network", "Can't reach the Orthrus server" + (server ? " at " + server : "") +
      ". Check the address and your connection, then try again.");
  }

  function notConnected() {
    return fail("not_connected", "This browser is not connected to Orthrus yet.", "connect");
  }

  function invalidAnswer(status) {
    return fail("invalid_answer", "The Orthrus server gave an answer the extension does not understand" +
      (status ? " (HTTP " + status + ")" : "") + ". Is the address right, and is the server up to date?");
  }

  function serverError(body) {
    return (body && typeof body === "object" && body.error && typeof body.error === "object") ? body.error : {};
  }

  /**
   * Interpret one answer. `context` is one of "login", "pair-start",
   * "pair-poll", "candidates", "restrictions", "credentials", "code".
   */
  function interpret(status, body, context) {
    const err = serverError(body);
    const code = typeof err.code === "string" ? err.code : "";
    const said = typeof err.message === "string" && err.message ? err.message : "";
    const ref = typeof err.request_id === "string" && err.request_id ? " (request " + err.request_id + ")" : "";
    if (status >= 200 && status < 300) {
      if (body === undefined || body === null || typeof body !== "object") return invalidAnswer(status);
      return { ok: true, status, data: body };
    }
    if (status === 401) {
      if (context === "login") {
        if (code === "auth.totp_required") {
          return fail(code, "This account has two-factor authentication: enter the code from your authenticator app.", "totp");
        }
        return fail(code || "auth.invalid_credentials", "Wrong email, password or 2FA code.");
      }
      return fail(code || "auth.required", "Your Orthrus session has expired or was revoked. Reconnect this browser.", "reconnect");
    }
    if (context === "pair-poll" || context === "pair-start") {
      if (status === 410) return fail(code || "pairing.expired", "This pairing request expired. Start again.");
      if (status === 404) return fail(code || "pairing.not_found", "This pairing request no longer exists. Start again.");
      if (status === 403) return fail(code || "pairing.refused", "The pairing was refused" + (said ? ": " + said : ".") );
    }
    if (status === 403) {
      if (code === "autofill.origin_mismatch") {
        return fail(code, "Orthrus refused to fill this page: it is not a website of this account's app.");
      }
      if (code === "autofill.extension_only") {
        return fail(code, "This browser's Orthrus token is not an extension session. Reconnect this browser from the extension's settings.", "reconnect");
      }
      if (code === "auth.2fa_enrollment_required") {
        return fail(code, "Turn on two-factor authentication for your Orthrus user first, then try again.");
      }
      if (code === "step_up.required" || code === "approval.required") {
        return fail(code, "This needs an approval in Orthrus first" + (said ? ": " + said : "."));
      }
      if (context === "credentials" || context === "code") {
        return fail(code || "permission.denied", "Your access to this account has ended" + (said ? ": " + said : "."));
      }
      return fail(code || "permission.denied", "Orthrus refused this" + (said ? ": " + said : "."));
    }
    if (status === 404 || status === 410) {
      if (context === "code" && code !== "account.not_found" && code !== "not_found") {
        return fail(code || "code.not_found", "No login code arrived in time. Ask the site for a new code, then try again.");
      }
      if (context === "credentials" || context === "code" || code === "account.not_found") {
        return fail(code || "account.not_found", "This account was removed from Orthrus, or your access to it ended.");
      }
      return fail(code || "not_found", "The Orthrus server does not know this" + (said ? ": " + said : ". Is it up to date?"));
    }
    if (status === 409 && code === "autofill.code_used") {
      return fail(code, "The current login code was already used and the next one did not come in time. Try again in a few seconds.");
    }
    if (status === 408 || status === 504) {
      if (context === "code") return fail(code || "code.timeout", "No login code arrived in time. Ask the site for a new code, then try again.");
      return fail(code || "timeout", "The Orthrus server took too long to answer. Try again.");
    }
    if (status === 429) return fail(code || "throttled", "Too many tries. Wait a minute, then try again.");
    if (status === 503) return fail(code || "busy", "The Orthrus server is busy. Try again in a moment.");
    if (status >= 500) return fail(code || "internal", "The Orthrus server had a problem" + ref + ".");
    if (status >= 400 && said) return fail(code || "invalid", said);
    return invalidAnswer(status);
  }

  /** The pairing poll: 202 pending, 200 token, anything else stops. */
  function pollResult(status, body) {
    if (status === 202) return { state: "pending" };
    const r = interpret(status, body, "pair-poll");
    if (!r.ok) return { state: "failed", code: r.code, message: r.message };
    if (status !== 200 || typeof body.token !== "string" || !body.token) {
      return { state: "failed", code: "invalid_answer", message: invalidAnswer(status).message };
    }
    return { state: "done", token: body.token, expires_at: typeof body.expires_at === "string" ? body.expires_at : null };
  }

  /** The pairing start answer, checked: {id, secret, number, approve_url}. */
  function pairingStart(body) {
    if (!body || (typeof body.id !== "string" && typeof body.id !== "number") || typeof body.secret !== "string" ||
      (typeof body.number !== "number" && typeof body.number !== "string") || typeof body.approve_url !== "string") {
      return null;
    }
    return { id: String(body.id), secret: body.secret, number: String(body.number), approve_url: body.approve_url };
  }

  /** Candidate accounts, keeping only well-formed entries. */
  function candidates(body) {
    if (!Array.isArray(body)) return null;
    const out = [];
    for (const c of body) {
      if (!c || typeof c !== "object") continue;
      if (typeof c.account_id !== "string" && typeof c.account_id !== "number") continue;
      out.push({
        account_id: c.account_id,
        label: typeof c.label === "string" ? c.label : "",
        app: typeof c.app === "string" ? c.app : "",
        username: typeof c.username === "string" ? c.username : "",
      });
    }
    return out;
  }

  /** Restrictions of a page: {blocked, message, ask}; malformed means not blocked. */
  function restrictions(body) {
    if (!body || typeof body !== "object") return { blocked: false, message: null, ask: [] };
    return {
      blocked: body.blocked === true,
      message: typeof body.message === "string" && body.message ? body.message : null,
      ask: Array.isArray(body.ask) ? body.ask.filter((n) => typeof n === "string" && n).slice(0, 10) : [],
    };
  }

  /** The sentence shown on a blocked page. */
  function blockedNotice(r) {
    let s = "This page is blocked for your role in Orthrus";
    s += r && r.message ? ": " + String(r.message).replace(/[.\s]+$/, "") + "." : ".";
    if (r && Array.isArray(r.ask) && r.ask.length) {
      const names = r.ask.length === 1 ? r.ask[0]
        : r.ask.slice(0, -1).join(", ") + " or " + r.ask[r.ask.length - 1];
      s += " Ask " + names + ".";
    }
    return s;
  }

  /** Credentials must come whole: both username and password, or it is an error. */
  function credentials(body) {
    if (!body || typeof body.username !== "string" || typeof body.password !== "string" || !body.username || !body.password) {
      return fail("incomplete", "Orthrus sent an incomplete login for this account; nothing was filled.");
    }
    return { ok: true, data: { username: body.username, password: body.password } };
  }

  function code(body) {
    if (!body || typeof body.code !== "string" || !body.code.trim()) {
      return fail("incomplete", "Orthrus sent no login code; nothing was filled.");
    }
    return { ok: true, data: { code: body.code.trim(), source: body.source === "inbox" ? "inbox" : "totp" } };
  }

  return {
    interpret, pollResult, pairingStart, candidates, restrictions, blockedNotice, credentials, code,
    unreachable, notConnected, invalidAnswer,
  };
});
