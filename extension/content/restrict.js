/* Orthrus: app settings restrictions (document_start, top frame).
 *
 * Asks the background whether this page is blocked for the user's role
 * (the server decides, per URL, cached for a minute); when it is, stops
 * the page and replaces it with a notice. Single-page apps are re-checked
 * when their URL changes.
 */
(function () {
  "use strict";
  if (globalThis.__orthrusRestrict) return;
  globalThis.__orthrusRestrict = true;
  if (location.protocol !== "https:" && location.protocol !== "http:") return;

  const ext = globalThis.browser && globalThis.browser.runtime ? globalThis.browser : globalThis.chrome;
  let checked = null;
  let blocked = false;

  function block(r) {
    if (blocked) return;
    blocked = true;
    try {
      window.stop();
    } catch (_) { /* keep going: the notice still replaces the page */ }
    const doc = document;
    const html = doc.documentElement || doc.appendChild(doc.createElement("html"));
    const paint = () => {
      while (html.firstChild) html.removeChild(html.firstChild);
      const head = doc.createElement("head");
      const title = doc.createElement("title");
      title.textContent = "Blocked by Orthrus";
      head.appendChild(title);
      const body = doc.createElement("body");
      body.setAttribute("style", "margin:0;font:16px/1.5 system-ui,sans-serif;background:#f4f4f4;color:#111;");
      const box = doc.createElement("div");
      box.setAttribute("style", "max-width:560px;margin:15vh auto;padding:24px 28px;background:#fff;border:1px solid #ccc;border-radius:8px;");
      const h = doc.createElement("h1");
      h.setAttribute("style", "font-size:20px;margin:0 0 12px;");
      h.textContent = "Blocked by Orthrus";
      const p = doc.createElement("p");
      p.textContent = typeof r.notice === "string" && r.notice ? r.notice : "This page is blocked for your role in Orthrus.";
      const back = doc.createElement("p");
      back.setAttribute("style", "color:#555;font-size:14px;");
      back.textContent = "The page was stopped before it could be used. Go back to continue.";
      box.append(h, p, back);
      body.appendChild(box);
      html.append(head, body);
    };
    paint();
    // Scripts that already ran may try to render again: keep the notice.
    const mine = new WeakSet();
    const mark = () => {
      for (const n of html.querySelectorAll("*")) mine.add(n);
    };
    mark();
    new MutationObserver((records) => {
      for (const rec of records) {
        for (const n of rec.addedNodes) {
          if (!mine.has(n)) {
            paint();
            mark();
            return;
          }
        }
      }
    }).observe(html, { childList: true, subtree: true });
  }

  function check() {
    const url = location.href;
    if (blocked || url === checked) return;
    checked = url;
    try {
      Promise.resolve(ext.runtime.sendMessage({ type: "restrictions", url })).then((r) => {
        if (r && r.blocked === true && location.href === url) block(r);
      }, () => { /* no answer: the server decides, and it was not reached */ });
    } catch (_) { /* extension reloaded: nothing to enforce from here */ }
  }

  check();
  // Single-page apps change the URL without loading a page.
  if (globalThis.navigation && typeof globalThis.navigation.addEventListener === "function") {
    globalThis.navigation.addEventListener("navigatesuccess", check);
  }
  window.addEventListener("popstate", check);
  setInterval(check, 1000);
})();
