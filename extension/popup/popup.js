/* Orthrus popup: the accounts for the active tab, and "Sign in".
 * Talks only to the background worker; never shows a password. */
"use strict";
(function () {
  const { ext, $, send, show } = globalThis.OrthrusPanel;
  const { accountSpans } = globalThis.OrthrusAccount;

  function message(text, isError, action) {
    const m = $("message");
    m.textContent = text || "";
    m.classList.toggle("error", !!isError);
    show("message", !!text);
    show("reconnect", action === "reconnect" || action === "connect");
  }

  function openSettings() {
    ext.runtime.openOptionsPage();
    window.close();
  }

  async function activeTab() {
    const tabs = await ext.tabs.query({ active: true, currentWindow: true });
    return tabs && tabs[0];
  }

  function render(list, tab) {
    const ul = $("accounts");
    ul.textContent = "";
    show("none", list.length === 0);
    for (const c of list) {
      const li = document.createElement("li");
      const who = document.createElement("div");
      who.className = "who";
      who.append(...accountSpans(document, c));
      const btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = "Sign in";
      btn.addEventListener("click", async () => {
        for (const b of ul.querySelectorAll("button")) b.disabled = true;
        message("Signing in…", false);
        const r = await send({ type: "signin", tabId: tab.id, account_id: c.account_id });
        if (r && r.ok) {
          window.close();
          return;
        }
        const text = (r && (r.message || (r.error && r.error.message))) || "Signing in failed.";
        message(text, true, r && r.error && r.error.action);
        for (const b of ul.querySelectorAll("button")) b.disabled = false;
      });
      li.append(who, btn);
      ul.appendChild(li);
    }
  }

  async function load() {
    const st = await send({ type: "status" });
    $("server").textContent = st.server ? st.server.replace(/^https?:\/\//, "") : "";
    if (!st.connected) {
      show("disconnected", true);
      if (st.pairing && st.pairing.status === "pending") {
        message("Pairing in progress: pick " + st.pairing.number + " on the Orthrus page.", false);
      }
      return;
    }
    show("connected", true);
    const tab = await activeTab();
    if (!tab || !tab.url || !/^https?:/.test(tab.url)) {
      show("none", false);
      message("Orthrus works on web pages: open the site to sign in to.", false);
      return;
    }
    const r = await send({ type: "candidates", url: tab.url });
    if (!r.ok) {
      const e = r.error || {};
      message(e.message || "Could not ask Orthrus for this website's accounts.", true, e.action);
      if (e.action === "reconnect") show("connected", false);
      return;
    }
    render(r.candidates || [], tab);
  }

  $("connect").addEventListener("click", openSettings);
  $("reconnect").addEventListener("click", openSettings);
  $("settings").addEventListener("click", openSettings);
  load();
})();
