// Orthrus UI behaviour that htmx does not cover; no inline scripts (CSP).
(function () {
  "use strict";

  function copyText(text, button) {
    var done = function () {
      if (!button) return;
      var old = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = old; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {});
    } else {
      var t = document.createElement("textarea");
      t.value = text;
      t.setAttribute("readonly", "");
      t.className = "skip";
      document.body.appendChild(t);
      t.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selectable */ }
      document.body.removeChild(t);
    }
  }

  // Passkeys (WebAuthn): the server speaks JSON with base64url buffers.
  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; } catch (e) { return ""; }
  }
  function b64u(buf) {
    var s = "";
    new Uint8Array(buf).forEach(function (b) { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function unb64u(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function post(path, body) {
    return fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf() },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.text().then(function (t) {
        var j = t ? JSON.parse(t) : {};
        if (!r.ok) throw new Error((j.error && j.error.message) || r.statusText);
        return j;
      });
    });
  }
  async function passkeyRegister(form) {
    var msg = form.querySelector(".passkey-msg");
    try {
      var totp = form.querySelector("[name=totp]");
      await post("/api/v1/auth/step-up", totp ? { password: form.password.value, totp: totp.value } : { password: form.password.value });
      var opts = (await post("/api/v1/me/passkeys/register/start")).publicKey;
      opts.challenge = unb64u(opts.challenge);
      opts.user.id = unb64u(opts.user.id);
      (opts.excludeCredentials || []).forEach(function (c) { c.id = unb64u(c.id); });
      var cred = await navigator.credentials.create({ publicKey: opts });
      await post("/api/v1/me/passkeys/register/finish", {
        name: form.querySelector("[name=name]").value,
        credential: {
          id: cred.id, rawId: b64u(cred.rawId), type: cred.type,
          response: { attestationObject: b64u(cred.response.attestationObject), clientDataJSON: b64u(cred.response.clientDataJSON) },
          extensions: cred.getClientExtensionResults()
        }
      });
      window.location.reload();
    } catch (e) {
      msg.textContent = "Could not add the passkey: " + e.message;
    }
  }
  async function passkeyStepUp(btn) {
    var dialog = btn.closest(".dialog");
    var msg = dialog.querySelector(".passkey-msg");
    try {
      var opts = (await post("/api/v1/auth/step-up/passkey/start")).publicKey;
      opts.challenge = unb64u(opts.challenge);
      (opts.allowCredentials || []).forEach(function (c) { c.id = unb64u(c.id); });
      var a = await navigator.credentials.get({ publicKey: opts });
      await post("/api/v1/auth/step-up/passkey/finish", {
        credential: {
          id: a.id, rawId: b64u(a.rawId), type: a.type,
          response: {
            authenticatorData: b64u(a.response.authenticatorData), clientDataJSON: b64u(a.response.clientDataJSON),
            signature: b64u(a.response.signature), userHandle: a.response.userHandle ? b64u(a.response.userHandle) : null
          },
          extensions: a.getClientExtensionResults()
        }
      });
      htmx.ajax("POST", "/ui/after-step-up?then=" + encodeURIComponent(btn.getAttribute("data-then")),
        { target: dialog, swap: "outerHTML", source: dialog, headers: { "X-CSRF-Token": csrf() } });
    } catch (e) {
      if (msg) msg.textContent = "The passkey did not work: " + e.message;
    }
  }
  document.addEventListener("submit", function (ev) {
    var f = ev.target.closest("form[data-passkey-register]");
    if (f) { ev.preventDefault(); passkeyRegister(f); }
  });
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("[data-passkey-stepup]");
    if (b) { ev.preventDefault(); passkeyStepUp(b); }
  });

  // Countdowns: data-countdown holds the seconds left when the element was
  // rendered; the server swaps in the next code when it reaches zero. One
  // timer updates every countdown on the page, whenever it arrived: a code
  // tile replaces itself (outerHTML), so htmx:afterSwap's target is the old
  // element and the new one must be found in the document.
  var countdownEnds = new WeakMap();
  function tickCountdowns() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var end = countdownEnds.get(el);
      if (end === undefined) {
        end = now + (parseInt(el.getAttribute("data-countdown"), 10) || 0) * 1000;
        countdownEnds.set(el, end);
      }
      var left = String(Math.max(0, Math.ceil((end - now) / 1000)));
      if (el.textContent !== left) el.textContent = left;
    });
  }
  tickCountdowns();
  setInterval(tickCountdowns, 250);
  document.addEventListener("htmx:load", tickCountdowns);

  // On a phone the links are a strip that scrolls sideways: show the
  // current page's.
  var current = document.querySelector(".nav a[aria-current]");
  if (current && current.scrollIntoView) current.scrollIntoView({ block: "nearest", inline: "nearest" });

  // Buttons with data-copy copy their attribute's value.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("[data-copy]");
    if (b) { ev.preventDefault(); copyText(b.getAttribute("data-copy"), b); }
    var c = ev.target.closest("[data-confirm]");
    if (c && !window.confirm(c.getAttribute("data-confirm"))) { ev.preventDefault(); ev.stopPropagation(); }
  }, true);

  // Fragments swapped in by htmx: copy-now values go to the clipboard and
  // are wiped; revealed passwords hide again after 30 seconds.
  document.addEventListener("htmx:afterSwap", function (ev) {
    var root = ev.detail.target || document;
    root.querySelectorAll("[data-copy-now]").forEach(function (el) {
      copyText(el.getAttribute("data-copy-now"), null);
      el.removeAttribute("data-copy-now");
    });
    root.querySelectorAll("[data-autohide]").forEach(function (el) {
      var secs = parseInt(el.getAttribute("data-autohide"), 10) || 30;
      setTimeout(function () { el.textContent = "••••••••••"; el.className = "secret"; }, secs * 1000);
    });
        var focus = root.querySelector("[autofocus]");
    if (focus) focus.focus();
  });

  // Live inbox: server-sent events tell the table to reload itself. The
  // browser reconnects by itself when the stream ends or drops.
  document.querySelectorAll("[data-inbox-events]").forEach(function (el) {
    if (!window.EventSource) return;
    var source = new EventSource(el.getAttribute("data-inbox-events"));
    source.addEventListener("inbox", function () { htmx.trigger(el, "inbox-changed"); });
  });

  // Live job: each `job` event reloads the job's panel; `end` reloads it a
  // last time and closes the stream (else the browser would reconnect).
  document.querySelectorAll("[data-job-events]").forEach(function (el) {
    if (!window.EventSource) return;
    var source = new EventSource(el.getAttribute("data-job-events"));
    var reload = function () {
      var target = document.getElementById(el.getAttribute("data-job-target"));
      if (target) htmx.trigger(target, "job-changed");
    };
    source.addEventListener("job", reload);
    source.addEventListener("end", function () { reload(); source.close(); });
  });
})();
