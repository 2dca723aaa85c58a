/* Orthrus options page: connect this browser (pairing by approval, or
 * email + password + 2FA code). The background worker does every request;
 * this page shows the pairing number and the outcome. */
"use strict";
(function () {
  const { ext, $, send, show } = globalThis.OrthrusPanel;

  function message(text, kind) {
    const m = $("message");
    m.textContent = text || "";
    m.className = "msg" + (kind ? " " + kind : "");
    show("message", !!text);
  }

  /**
   * Firefox grants host permissions only when asked: ask for them (sites to
   * fill, and the server) inside the click, before anything is awaited.
   */
  function askHostAccess() {
    if (!ext.permissions || typeof ext.permissions.request !== "function") return Promise.resolve(true);
    try {
      return Promise.resolve(ext.permissions.request({ origins: ["<all_urls>"] })).catch(() => false);
    } catch (_) {
      return Promise.resolve(false);
    }
  }

  const NO_ACCESS = "Orthrus needs access to websites to reach your server and fill sign-in forms. Allow it and try again.";

  let pairing = null;

  function renderPairing(p) {
    pairing = p;
    const pending = p && p.status === "pending";
    show("pairing", pending);
    $("pair").disabled = pending;
    if (pending) {
      $("number").textContent = p.number;
      $("pair-status").textContent = "Waiting for approval…";
    }
    if (p && p.status === "failed") message(p.message || "Pairing failed.", "error");
  }

  async function refresh() {
    const st = await send({ type: "status" });
    show("status", !!st.connected);
    if (st.connected) {
      $("connected-server").textContent = st.server;
      $("expires").textContent = st.expires_at ? " (until " + new Date(st.expires_at).toLocaleString() + ")" : "";
    }
    if (st.server && !$("server").value) $("server").value = st.server;
    renderPairing(st.pairing);
    return st;
  }

  $("pair").addEventListener("click", async () => {
    const access = askHostAccess();
    message("");
    if (!(await access)) return message(NO_ACCESS, "error");
    $("pair").disabled = true;
    const r = await send({ type: "pair-start", server: $("server").value });
    if (!r.ok) {
      $("pair").disabled = false;
      return message((r.error && r.error.message) || "Pairing could not start.", "error");
    }
    renderPairing(r.pairing);
  });

  $("open-approve").addEventListener("click", () => {
    if (pairing && pairing.approve_url) ext.tabs.create({ url: pairing.approve_url });
  });

  $("pair-cancel").addEventListener("click", async () => {
    await send({ type: "pair-cancel" });
    renderPairing(null);
    message("Pairing cancelled.");
  });

  $("login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const access = askHostAccess();
    message("");
    if (!(await access)) return message(NO_ACCESS, "error");
    $("login-btn").disabled = true;
    const r = await send({
      type: "connect-login",
      server: $("server").value,
      email: $("email").value,
      password: $("password").value,
      totp: $("totp").value || undefined,
    });
    $("login-btn").disabled = false;
    if (!r.ok) {
      const e = r.error || {};
      message(e.message || "Signing in failed.", "error");
      if (e.action === "totp") $("totp").focus();
      return;
    }
    $("password").value = "";
    $("totp").value = "";
    message("Connected to " + r.server + ".", "ok");
    refresh();
  });

  $("disconnect").addEventListener("click", async () => {
    await send({ type: "disconnect" });
    message("Disconnected. Connect again below.");
    refresh();
  });

  ext.storage.onChanged.addListener((changes, area) => {
    if (area === "session" && changes.pairing) {
      const p = changes.pairing.newValue || null;
      if (p && p.status === "done") {
        message("Connected to " + p.server + ".", "ok");
        send({ type: "pair-cancel" }).then(refresh);
        return;
      }
      renderPairing(p);
    }
    if (area === "local" && (changes.token || changes.server)) refresh();
  });

  refresh();
})();
