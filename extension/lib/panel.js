/* Orthrus: what the popup and the options page share — the extension API
 * object of this browser, element lookup, showing and hiding, and one
 * message to the background worker (which does every request; an answer
 * that never comes becomes a readable failure instead of a silent one).
 *
 * Classic script, loaded before popup.js or options.js: defines
 * `globalThis.OrthrusPanel`.
 */
(function (root) {
  "use strict";
  const ext = root.browser && root.browser.runtime ? root.browser : root.chrome;
  const $ = (id) => document.getElementById(id);
  const NO_ANSWER = { ok: false, error: { message: "The Orthrus extension did not answer." } };

  function send(msg) {
    return ext.runtime.sendMessage(msg).then(
      (r) => r || NO_ANSWER,
      () => NO_ANSWER,
    );
  }

  function show(id, on) {
    $(id).classList.toggle("hidden", !on);
  }

  root.OrthrusPanel = { ext, $, send, show };
})(globalThis);
