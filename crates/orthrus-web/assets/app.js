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

  // Countdowns: data-countdown holds the seconds left when the element was
  // rendered; the server swaps in the next code when it reaches zero.
  function startCountdowns(root) {
    (root || document).querySelectorAll("[data-countdown]").forEach(function (el) {
      var end = Date.now() + parseInt(el.getAttribute("data-countdown"), 10) * 1000;
      el.removeAttribute("data-countdown");
      var tick = function () {
        var left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
        el.textContent = String(left);
        if (left > 0 && document.body.contains(el)) setTimeout(tick, 250);
      };
      tick();
    });
  }
  document.addEventListener("DOMContentLoaded", function () { startCountdowns(document); });

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
    startCountdowns(root);
    var focus = root.querySelector("[autofocus]");
    if (focus) focus.focus();
  });
})();
