/* Orthrus: how an account is shown wherever the extension lists one (the
 * in-page menu, the popup): its name, and under it the app (unless the name
 * already says it) and the username.
 *
 * Classic script, loaded before content/ui.js and popup.js: defines
 * `globalThis.OrthrusAccount`.
 */
(function (root) {
  "use strict";

  /** The account's two lines as spans made in `doc`; the second has class "sub". */
  function accountSpans(doc, c) {
    const main = doc.createElement("span");
    main.textContent = c.label || c.app || "Account";
    const sub = doc.createElement("span");
    sub.className = "sub";
    sub.textContent = [c.app && c.app !== c.label ? c.app : "", c.username].filter(Boolean).join(" · ");
    return [main, sub];
  }

  root.OrthrusAccount = { accountSpans };
})(globalThis);
