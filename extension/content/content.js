/* Orthrus content script (top frame, document_idle).
 *
 * Uses only lib/page.js (OrthrusPage) to read and fill the page, and the
 * background worker (chrome.runtime.sendMessage) for everything from the
 * server. Fills only on a user's action (the in-page menu or the popup's
 * "Sign in"), or to continue that same action on the next screen of a
 * two-step login (pending fill, 2 minutes, kept by the background per tab
 * and origin). One server request per step; nothing is retried.
 */
(function () {
  "use strict";
  if (globalThis.__orthrusContent) return;
  globalThis.__orthrusContent = true;

  const ext = globalThis.browser && globalThis.browser.runtime ? globalThis.browser : globalThis.chrome;
  const P = globalThis.OrthrusPage;
  const UI = globalThis.OrthrusUI;
  if (!P || !UI || !ext || !ext.runtime) return;

  const SUBMIT_DELAY_MS = 150;

  /** Ask the background; promise form works in Chromium (MV3) and Firefox alike. */
  function send(msg) {
    const fallback = { ok: false, error: { message: "The Orthrus extension did not answer. Reload the page." } };
    try {
      return Promise.resolve(ext.runtime.sendMessage(Object.assign({ url: location.href }, msg)))
        .then((reply) => reply || fallback, () => fallback);
    } catch (_) {
      return Promise.resolve({ ok: false, error: { message: "The Orthrus extension was updated or removed. Reload the page." } });
    }
  }

  function errorText(reply) {
    return (reply && reply.error && reply.error.message) || "Something went wrong.";
  }

  let busy = false;
  let candidates = null; // null: not asked yet
  let pending = null;

  // --- filling -------------------------------------------------------------

  async function fillCredentials(accountId, expect) {
    const reply = await send({ type: "fill", account_id: accountId, step: "credentials" });
    if (!reply.ok) {
      UI.toast(errorText(reply), true);
      return { ok: false, message: errorText(reply) };
    }
    const result = P.fillCredentials(document, { username: reply.username, password: reply.password },
      { submit: false, expect });
    if (!result.ok) {
      const message = result.reason === "no-form" || result.reason === "unexpected-stage"
        ? "No login form to fill on this page." : "The login form changed while being filled; nothing was submitted.";
      UI.toast(message, true);
      return { ok: false, message };
    }
    // Remember the next screen (password, or the login code) before the
    // submit navigates away.
    await send({ type: "pending-set", account_id: accountId, stage: result.next });
    pending = { account_id: accountId, stage: result.next, expires: Date.now() + 2 * 60 * 1000 };
    setTimeout(() => P.submit(result), SUBMIT_DELAY_MS);
    return { ok: true };
  }

  async function fillCode(accountId, expectCode) {
    UI.toast("Getting the login code…", false);
    // The page says whether its code was sent (email, text) or comes from
    // an authenticator app; the server cannot tell.
    const O = globalThis.OrthrusOtp;
    const source = O && document.body ? O.codeSource(document.body.innerText || "") : null;
    const reply = await send({ type: "fill", account_id: accountId, step: "code", source });
    if (!reply.ok) {
      UI.toast(errorText(reply), true);
      return { ok: false, message: errorText(reply) };
    }
    const result = P.fillCode(document, reply.code, { submit: false, expectCode: !!expectCode });
    if (!result.ok) {
      const message = result.reason === "length-mismatch"
        ? "The login code does not fit the code field on this page; nothing was filled."
        : "No login code field to fill on this page.";
      UI.toast(message, true);
      return { ok: false, message };
    }
    UI.toast("Login code filled.", false);
    setTimeout(() => P.submit(result), SUBMIT_DELAY_MS);
    return { ok: true };
  }

  /** A user picked an account: fill what this page asks for, once. */
  async function startFill(accountId) {
    if (busy) return { ok: false, message: "Already filling." };
    busy = true;
    try {
      await send({ type: "pending-clear" });
      pending = null;
      if (P.findLoginFields(document).stage) return await fillCredentials(accountId);
      if (P.findCodeFields(document)) return await fillCode(accountId);
      UI.toast("No login form on this page.", true);
      return { ok: false, message: "No login form on this page." };
    } finally {
      busy = false;
    }
  }

  /** Continue a fill begun on the previous screen, if this screen is the next step. */
  async function continuePending() {
    if (!pending || busy) return;
    if (Date.now() >= pending.expires) {
      pending = null;
      return;
    }
    const p = pending;
    if (p.stage === "password") {
      const found = P.findLoginFields(document);
      if (found.stage !== "password" && found.stage !== "full") return; // not there yet
      busy = true;
      pending = null;
      try {
        await send({ type: "pending-clear" });
        await fillCredentials(p.account_id, "password");
      } finally {
        busy = false;
      }
    } else if (p.stage === "code") {
      if (!P.findCodeFields(document, { expectCode: true })) return;
      busy = true;
      pending = null;
      try {
        await send({ type: "pending-clear" });
        await fillCode(p.account_id, true);
      } finally {
        busy = false;
      }
    }
  }

  // --- the icon ---------------------------------------------------------------

  function anchorField() {
    const login = P.findLoginFields(document);
    if (login.stage) return login.username || login.password;
    const code = P.findCodeFields(document);
    return code ? code.field : null;
  }

  async function decorate() {
    const field = anchorField();
    if (!field) {
      UI.removeIcon();
      return;
    }
    if (UI.iconField() === field) return;
    if (candidates === null) {
      candidates = [];
      const reply = await send({ type: "candidates" });
      if (reply.ok && Array.isArray(reply.candidates)) candidates = reply.candidates;
    }
    if (!candidates.length) return;
    UI.showIcon(field, candidates, (c) => startFill(c.account_id));
  }

  // --- wiring -----------------------------------------------------------------

  let scheduled = null;
  let lastUrl = location.href;

  function rescan() {
    scheduled = null;
    if (location.href !== lastUrl) {
      lastUrl = location.href;
      candidates = null; // another page of a single-page app
    }
    if (candidates && !candidates.length && !pending) return; // nothing to offer here
    continuePending();
    decorate();
  }

  let lastScan = 0;

  /** Rescan after the page changes, at most once a second. */
  function schedule() {
    if (scheduled) return;
    const wait = Math.max(300, 1000 - (Date.now() - lastScan));
    scheduled = setTimeout(() => {
      lastScan = Date.now();
      rescan();
    }, wait);
  }

  ext.runtime.onMessage.addListener((msg, sender, sendResponse) => {
    if (!msg || msg.type !== "orthrus-fill" || sender.id !== ext.runtime.id || sender.tab) return false;
    startFill(msg.account_id).then(sendResponse, () => sendResponse({ ok: false, message: "Filling failed." }));
    return true;
  });

  (async function start() {
    const reply = await send({ type: "pending-get" });
    if (reply && reply.ok && reply.pending) pending = reply.pending;
    rescan();
    const observer = new MutationObserver(schedule);
    observer.observe(document.documentElement, { childList: true, subtree: true, attributes: true,
      attributeFilter: ["type", "hidden", "aria-hidden", "style"] });
  })();
})();
