/* Orthrus content script UI: the small icon by the login field, its menu of
 * accounts, and toasts. Everything is drawn in closed shadow roots so page
 * scripts can't read it, and only trusted (real user) clicks act.
 * Classic script: defines `globalThis.OrthrusUI` in the extension's
 * isolated world (invisible to the page).
 */
(function () {
  "use strict";
  if (globalThis.OrthrusUI) return;

  const Z = "2147483647";
  const ICON_SVG =
    '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">' +
    '<circle cx="8" cy="12" r="5" fill="none" stroke="currentColor" stroke-width="2"/>' +
    '<circle cx="16" cy="12" r="5" fill="none" stroke="currentColor" stroke-width="2"/></svg>';

  const STYLE = `
    :host { all: initial; }
    .btn { position: absolute; width: 22px; height: 22px; border: 0; border-radius: 5px; padding: 3px;
      background: #1f4e79; color: #fff; cursor: pointer; display: flex; align-items: center; justify-content: center;
      box-shadow: 0 1px 3px rgba(0,0,0,.3); }
    .btn:focus-visible { outline: 2px solid #f90; }
    .menu { position: absolute; min-width: 220px; max-width: 320px; background: #fff; color: #111;
      border: 1px solid #bbb; border-radius: 6px; box-shadow: 0 4px 16px rgba(0,0,0,.25);
      font: 13px/1.35 system-ui, sans-serif; padding: 4px 0; }
    .menu h2 { font: 600 11px system-ui, sans-serif; text-transform: uppercase; letter-spacing: .04em;
      color: #555; margin: 4px 10px 6px; }
    .item { display: block; width: 100%; text-align: left; border: 0; background: none; padding: 6px 10px;
      cursor: pointer; font: inherit; color: inherit; }
    .item:hover, .item:focus-visible { background: #e8f0f8; outline: none; }
    .item .sub { display: block; color: #555; font-size: 12px; }
    .toast { position: fixed; right: 16px; bottom: 16px; max-width: 360px; background: #222; color: #fff;
      padding: 10px 14px; border-radius: 6px; font: 13px/1.4 system-ui, sans-serif;
      box-shadow: 0 4px 16px rgba(0,0,0,.3); }
    .toast.error { background: #8b1a1a; }
  `;

  function host(doc) {
    const el = doc.createElement("orthrus-ui");
    el.style.cssText = "position:absolute;top:0;left:0;width:0;height:0;margin:0;padding:0;border:0;z-index:" + Z + ";";
    const root = el.attachShadow({ mode: "closed" });
    const style = doc.createElement("style");
    style.textContent = STYLE;
    root.appendChild(style);
    (doc.body || doc.documentElement).appendChild(el);
    return { el, root };
  }

  /** Page coordinates of a field, adding the offsets of same-origin frames. */
  function boxOf(field) {
    const r = field.getBoundingClientRect();
    let x = r.left;
    let y = r.top;
    let view = field.ownerDocument.defaultView;
    while (view && view !== window) {
      const fe = view.frameElement;
      if (!fe) break;
      const fr = fe.getBoundingClientRect();
      x += fr.left;
      y += fr.top;
      view = fe.ownerDocument.defaultView;
    }
    return { x: x + window.scrollX, y: y + window.scrollY, width: r.width, height: r.height };
  }

  let current = null;

  /** Show the icon inside the right edge of `field`; `onPick(candidate)` on a menu choice. */
  function showIcon(field, candidates, onPick) {
    removeIcon();
    if (!field || !candidates || !candidates.length) return;
    const { el, root } = host(document);
    const btn = document.createElement("button");
    btn.className = "btn";
    btn.type = "button";
    btn.title = "Sign in with Orthrus";
    btn.setAttribute("aria-label", "Sign in with Orthrus");
    btn.innerHTML = ICON_SVG; // constant markup, no page or server data
    root.appendChild(btn);
    let menu = null;

    function place() {
      if (!field.isConnected) return removeIcon();
      const b = boxOf(field);
      const size = 22;
      btn.style.left = Math.round(b.x + b.width - size - 6) + "px";
      btn.style.top = Math.round(b.y + (b.height - size) / 2) + "px";
      if (menu) {
        menu.style.left = Math.round(b.x + b.width - 226) + "px";
        menu.style.top = Math.round(b.y + b.height + 4) + "px";
      }
    }

    function closeMenu() {
      if (menu) menu.remove();
      menu = null;
    }

    function openMenu() {
      menu = document.createElement("div");
      menu.className = "menu";
      menu.setAttribute("role", "menu");
      const title = document.createElement("h2");
      title.textContent = "Orthrus";
      menu.appendChild(title);
      for (const c of candidates) {
        const item = document.createElement("button");
        item.type = "button";
        item.className = "item";
        item.setAttribute("role", "menuitem");
        item.append(...globalThis.OrthrusAccount.accountSpans(document, c));
        item.addEventListener("click", (ev) => {
          if (!ev.isTrusted) return;
          ev.preventDefault();
          ev.stopPropagation();
          closeMenu();
          onPick(c);
        });
        menu.appendChild(item);
      }
      root.appendChild(menu);
      place();
      const first = menu.querySelector(".item");
      if (first) first.focus();
    }

    btn.addEventListener("mousedown", (ev) => ev.preventDefault()); // keep the field's focus
    btn.addEventListener("click", (ev) => {
      if (!ev.isTrusted) return;
      ev.preventDefault();
      ev.stopPropagation();
      if (menu) closeMenu();
      else openMenu();
    });
    const onKey = (ev) => {
      if (ev.key === "Escape") closeMenu();
    };
    const onOutside = (ev) => {
      if (menu && ev.composedPath().indexOf(el) === -1) closeMenu();
    };
    const onMove = () => window.requestAnimationFrame(place);
    document.addEventListener("keydown", onKey, true);
    document.addEventListener("mousedown", onOutside, true);
    window.addEventListener("scroll", onMove, true);
    window.addEventListener("resize", onMove);
    const timer = window.setInterval(place, 1000); // layouts move without events
    place();
    current = {
      field,
      remove() {
        window.clearInterval(timer);
        document.removeEventListener("keydown", onKey, true);
        document.removeEventListener("mousedown", onOutside, true);
        window.removeEventListener("scroll", onMove, true);
        window.removeEventListener("resize", onMove);
        el.remove();
      },
    };
  }

  function removeIcon() {
    if (current) current.remove();
    current = null;
  }

  function iconField() {
    return current ? current.field : null;
  }

  let toastTimer = null;
  let toastHost = null;

  /** A short message in the page's corner; `error` styles it red. */
  function toast(text, error) {
    if (toastHost) toastHost.el.remove();
    window.clearTimeout(toastTimer);
    toastHost = host(document);
    const div = document.createElement("div");
    div.className = "toast" + (error ? " error" : "");
    div.setAttribute("role", error ? "alert" : "status");
    div.textContent = "Orthrus: " + text;
    toastHost.root.appendChild(div);
    toastTimer = window.setTimeout(() => {
      if (toastHost) toastHost.el.remove();
      toastHost = null;
    }, error ? 8000 : 5000);
  }

  globalThis.OrthrusUI = { showIcon, removeIcon, iconField, toast };
})();
