/* Orthrus: the page-facing functions, on one namespace.
 *
 *   globalThis.OrthrusPage = {findLoginFields, findCodeFields, fillCredentials, fillCode, submit, domProbe}
 *
 * Loaded after lib/fields.js and lib/otp.js, as classic scripts, by the
 * extension's content script; the server's automation engine can inject the
 * same three files in the same order (WebDriver `execute_script`) and call
 * the same functions. Under Node it is a CommonJS module for the tests.
 *
 * Nothing here talks to the network or keeps a secret: the caller hands the
 * username/password/code in and they go only into the fields found.
 */
(function (root, factory) {
  "use strict";
  const node = typeof module === "object" && module && module.exports && typeof require === "function";
  const F = node ? require("./fields.js") : root.OrthrusFields;
  const O = node ? require("./otp.js") : root.OrthrusOtp;
  const api = factory(F, O);
  if (node) module.exports = api;
  root.OrthrusPage = api;
})(typeof globalThis !== "undefined" ? globalThis : this, function (F, O) {
  "use strict";

  /**
   * The browser's view of an element, for the visibility rules in
   * fields.js: computed style, box in document coordinates, and whether it
   * is clipped away (the "screen-reader only" trick).
   */
  function domProbe(el) {
    const doc = el.ownerDocument;
    const view = doc && doc.defaultView;
    if (!view || typeof view.getComputedStyle !== "function" || typeof el.getBoundingClientRect !== "function") {
      return true;
    }
    const cs = view.getComputedStyle(el);
    const r = el.getBoundingClientRect();
    let opacity = 1;
    for (let n = el, i = 0; n && n.nodeType === 1 && i < 12; i++) {
      opacity *= parseFloat(view.getComputedStyle(n).opacity || "1");
      n = F.parentOf(n);
    }
    let shown;
    if (typeof el.checkVisibility === "function") {
      try {
        shown = el.checkVisibility({ visibilityProperty: true, opacityProperty: true, contentVisibilityAuto: true });
      } catch (_) {
        shown = undefined;
      }
    }
    const clip = String(cs.clip || "");
    const clipPath = String(cs.clipPath || "");
    const clipped = /rect\(\s*0(px)?,?\s+0(px)?,?\s+0(px)?,?\s+0(px)?\s*\)/.test(clip) || /inset\(\s*50%/.test(clipPath);
    const docEl = doc.documentElement;
    return {
      display: cs.display,
      visibility: cs.visibility,
      opacity,
      x: r.left + (view.scrollX || 0),
      y: r.top + (view.scrollY || 0),
      width: r.width,
      height: r.height,
      viewWidth: Math.max(view.innerWidth || 0, (docEl && docEl.scrollWidth) || 0),
      clipped,
      shown,
    };
  }

  function withProbe(opts) {
    const o = Object.assign({}, opts || {});
    if (typeof o.probe !== "function") o.probe = domProbe;
    return o;
  }

  function findLoginFields(root, opts) {
    return F.findLoginFields(root, withProbe(opts));
  }

  function findCodeFields(root, opts) {
    return O.findCodeFields(root, withProbe(opts));
  }

  function filledWith(el, value) {
    return !!el && el.isConnected !== false && el.value === value;
  }

  /**
   * Fill the login form on `root` with `creds` = {username, password}, and
   * submit it unless `opts.submit === false` (then call submit(result)).
   * Both values must be non-empty strings or nothing is filled. Fills the
   * stage found: both fields, only the username (first screen of a two-step
   * login) or only the password (second screen). `opts.expect` ("password")
   * refuses a username-only screen when a password screen was expected, so a
   * failed login never loops. If the form re-renders while being filled and
   * the values do not stay, it is not submitted.
   *
   * Returns {ok: true, stage, next: "password"|"code", found} or
   * {ok: false, reason}.
   */
  function fillCredentials(root, creds, opts) {
    const o = withProbe(opts);
    if (!creds || typeof creds.username !== "string" || typeof creds.password !== "string" ||
      !creds.username || !creds.password) {
      return { ok: false, reason: "incomplete" };
    }
    let found = F.findLoginFields(root, o);
    if (!found.stage) return { ok: false, reason: "no-form" };
    if (o.expect === "password" && found.stage === "username") return { ok: false, reason: "unexpected-stage" };
    const stage = found.stage;
    if (found.username) F.setValue(found.username, creds.username);
    if (found.password) {
      if (found.password.isConnected === false) {
        // The form re-rendered on the username's input event: find it again.
        const again = F.findLoginFields(root, o);
        if (again.stage !== stage || !again.password) return { ok: false, reason: "rerendered" };
        found = Object.assign({}, again, { username: again.username || found.username });
      }
      F.setValue(found.password, creds.password);
    }
    const okUser = !found.username || filledWith(found.username, creds.username);
    const okPass = !found.password || filledWith(found.password, creds.password);
    if (!okUser || !okPass) return { ok: false, reason: "rerendered" };
    if (o.submit !== false) F.submit(found);
    return { ok: true, stage, next: stage === "username" ? "password" : "code", found };
  }

  /**
   * Fill a one-time code into the code field (or one digit per box) on
   * `root` and submit unless `opts.submit === false`. Nothing is filled if
   * the code does not fit (wrong number of boxes, longer than maxlength).
   */
  function fillCode(root, code, opts) {
    const o = withProbe(opts);
    const clean = O.cleanCode(code);
    if (!clean) return { ok: false, reason: "incomplete" };
    const found = O.findCodeFields(root, o);
    if (!found) return { ok: false, reason: "no-field" };
    if (found.kind === "boxes") {
      const digits = O.splitDigits(clean, found.fields.length);
      if (!digits) return { ok: false, reason: "length-mismatch" };
      found.fields.forEach((el, i) => F.setValue(el, digits[i]));
      if (!found.fields.every((el, i) => filledWith(el, digits[i]))) return { ok: false, reason: "rerendered" };
    } else {
      const ml = O.maxLength(found.field);
      if (ml !== null && ml > 0 && clean.length > ml) return { ok: false, reason: "length-mismatch" };
      F.setValue(found.field, clean);
      if (!filledWith(found.field, clean)) return { ok: false, reason: "rerendered" };
    }
    if (o.submit !== false) F.submit(found);
    return { ok: true, kind: found.kind, found };
  }

  function submit(result) {
    return F.submit(result && result.found ? result.found : result);
  }

  return { findLoginFields, findCodeFields, fillCredentials, fillCode, submit, domProbe, setValue: F.setValue };
});
