"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const F = require("../lib/fields.js");
const { h, page, shadow, frame, fakeProbe } = require("./dom.js");

const opts = { probe: fakeProbe };
const find = (doc) => F.findLoginFields(doc, opts);

function loginForm(extra) {
  return h("form", Object.assign({ id: "login", action: "/accounts/login" }, extra || {}),
    h("label", { for: "u" }, "Phone number, username, or email"),
    h("input", { id: "u", name: "username", type: "text" }),
    h("input", { id: "p", name: "password", type: "password" }),
    h("button", { type: "submit" }, "Log in"));
}

test("simple form: username, password and its submit button", () => {
  const doc = page(loginForm());
  const r = find(doc);
  assert.equal(r.stage, "full");
  assert.equal(r.username.getAttribute("id"), "u");
  assert.equal(r.password.getAttribute("id"), "p");
  assert.equal(r.form.tagName, "FORM");
  assert.equal(r.submit.textContent, "Log in");
});

test("bare inputs without a form: fields and the button after them", () => {
  const doc = page(h("div", { class: "login" },
    h("input", { type: "email", placeholder: "Email" }),
    h("input", { type: "password", placeholder: "Password" }),
    h("div", { role: "button" }, "Sign in")));
  const r = find(doc);
  assert.equal(r.stage, "full");
  assert.equal(r.username.getAttribute("type"), "email");
  assert.equal(r.form, null);
  assert.equal(r.submit.textContent, "Sign in");
});

test("autocomplete=off does not stop us", () => {
  const doc = page(h("form", { autocomplete: "off" },
    h("input", { name: "login", autocomplete: "off" }),
    h("input", { name: "pass", type: "password", autocomplete: "off" }),
    h("input", { type: "submit", value: "Entrar" })));
  const r = find(doc);
  assert.equal(r.stage, "full");
  assert.equal(r.username.getAttribute("name"), "login");
  assert.equal(r.submit.getAttribute("value"), "Entrar");
});

test("two-step login: username screen, then password screen", () => {
  const first = page(h("form", {},
    h("input", { type: "email", name: "identifier", autocomplete: "username" }),
    h("button", { type: "submit" }, "Next")));
  const a = find(first);
  assert.equal(a.stage, "username");
  assert.equal(a.password, null);
  assert.equal(a.username.getAttribute("name"), "identifier");
  assert.equal(a.submit.textContent, "Next");

  const second = page(h("form", {},
    h("input", { type: "hidden", name: "identifier", value: "brand@example.test" }),
    h("input", { type: "password", name: "Passwd", autocomplete: "current-password" }),
    h("button", {}, "Weiter")));
  const b = find(second);
  assert.equal(b.stage, "password");
  assert.equal(b.username, null);
  assert.equal(b.password.getAttribute("name"), "Passwd");
  assert.equal(b.submit.textContent, "Weiter");
});

test("a login form inside a same-origin iframe is found", () => {
  const inner = page(loginForm());
  const doc = page(h("h1", {}, "Welcome"), frame(inner));
  const r = find(doc);
  assert.equal(r.stage, "full");
  assert.equal(r.password.ownerDocument, inner);
});

test("a cross-origin iframe (contentDocument throws) is skipped", () => {
  const el = h("iframe", {});
  Object.defineProperty(el, "contentDocument", { get() { throw new Error("SecurityError"); } });
  const doc = page(el);
  assert.equal(find(doc).stage, null);
});

test("fields inside an open shadow root are found", () => {
  const host = h("login-widget", {});
  shadow(host, h("form", {},
    h("input", { name: "email", type: "email" }),
    h("input", { name: "pw", type: "password" }),
    h("button", {}, "Sign in")));
  const doc = page(h("main", {}, host));
  const r = find(doc);
  assert.equal(r.stage, "full");
  assert.equal(r.username.getAttribute("name"), "email");
  assert.equal(r.password.getAttribute("name"), "pw");
});

test("honeypots are never chosen: hidden, off-screen, aria-hidden, named traps", () => {
  const doc = page(h("form", {},
    h("input", { name: "user", id: "real", type: "text" }),
    h("input", { name: "email_trap", type: "email", style: { display: "none" } }),
    h("input", { name: "website_user", type: "text", rect: { x: -5000, y: 100 } }),
    h("div", { "aria-hidden": "true" }, h("input", { name: "login2", type: "text" })),
    h("input", { name: "hp_user", type: "text" }),
    h("input", { name: "username2", type: "text", tabindex: "-1", rect: { width: 1, height: 1 } }),
    h("input", { name: "pwd_hidden", type: "password", style: { visibility: "hidden" } }),
    h("input", { name: "pwd", id: "realpw", type: "password" }),
    h("button", {}, "Log in")));
  const r = find(doc);
  assert.equal(r.stage, "full");
  assert.equal(r.username.getAttribute("id"), "real");
  assert.equal(r.password.getAttribute("id"), "realpw");
});

test("hiddenReason names each rule", () => {
  const cases = [
    [h("input", { type: "hidden" }), "type-hidden"],
    [h("input", { style: { display: "none" } }), "display-none"],
    [h("input", { style: { visibility: "hidden" } }), "visibility-hidden"],
    [h("input", { style: { opacity: "0" } }), "transparent"],
    [h("input", { rect: { width: 0, height: 0 } }), "zero-size"],
    [h("input", { rect: { x: -9999 } }), "off-screen"],
    [h("input", { rect: { x: 5000 } }), "off-screen"],
    [h("input", { style: { clipped: true } }), "clipped"],
    [h("input", { "aria-hidden": "true" }), "aria-hidden"],
    [h("input", { name: "honeypot" }), "honeypot"],
    [h("input", { name: "hp" }), "honeypot"],
    [h("input", { name: "extra", "aria-label": "Leave this field blank" }), "honeypot"],
    [h("input", { tabindex: "-1", style: { opacity: "0.2" } }), "tabindex-hidden"],
    [h("input", { disabled: true }), "disabled"],
    [h("input", { readonly: true }), "readonly"],
    [h("input", { name: "email" }), null],
  ];
  page(...cases.map((c) => c[0]));
  for (const [el, why] of cases) assert.equal(F.hiddenReason(el, fakeProbe), why, JSON.stringify([...el._attrs]));
});

test("a parent with display:none hides the field", () => {
  const doc = page(h("div", { style: { display: "none" } }, loginForm()));
  assert.equal(find(doc).stage, null);
});

test("newsletter form (email only) next to a login form: the login form wins", () => {
  const doc = page(
    h("form", { id: "newsletter" },
      h("h3", {}, "Get our newsletter"),
      h("input", { type: "email", name: "email", placeholder: "Your email" }),
      h("button", {}, "Subscribe")),
    h("form", { id: "signin" },
      h("input", { type: "email", name: "email", id: "login-email" }),
      h("input", { type: "password", name: "password" }),
      h("button", {}, "Sign in")));
  const r = find(doc);
  assert.equal(r.stage, "full");
  assert.equal(r.form.getAttribute("id"), "signin");
  assert.equal(r.username.getAttribute("id"), "login-email");
});

test("a newsletter form alone is not a username step", () => {
  const doc = page(h("form", { id: "newsletter" },
    h("input", { type: "email", name: "email", placeholder: "Your email" }),
    h("button", {}, "Subscribe")));
  assert.equal(find(doc).stage, null);
});

test("a search box is not a username", () => {
  const doc = page(
    h("form", { role: "search" }, h("input", { type: "text", name: "q", placeholder: "Search" }), h("button", {}, "Go")),
    h("input", { type: "search", name: "find" }),
    h("form", {},
      h("input", { type: "password", name: "password" }),
      h("button", {}, "Log in")));
  const r = find(doc);
  assert.equal(r.stage, "password");
  assert.equal(r.username, null);
  // and a search box with no login anywhere is nothing
  const only = page(h("form", {}, h("input", { name: "query", placeholder: "Buscar" }), h("button", {}, "Buscar")));
  assert.equal(find(only).stage, null);
  assert.equal(F.isSearchField(h("input", { placeholder: "Rechercher" })), true);
  assert.equal(F.usernameScore(h("input", { name: "q" })), 0);
});

test("a sign-up form (two passwords, new-password) is left alone", () => {
  const doc = page(h("form", {},
    h("input", { name: "email", type: "email" }),
    h("input", { name: "password", type: "password", autocomplete: "new-password" }),
    h("input", { name: "confirm", type: "password" }),
    h("button", {}, "Create account")));
  assert.equal(find(doc).stage, null);
});

test("a login inside an open modal is preferred over the page behind it", () => {
  const doc = page(
    loginForm({ id: "behind" }),
    h("div", { role: "dialog", "aria-modal": "true" },
      h("form", { id: "modal" },
        h("input", { name: "email", type: "email" }),
        h("input", { name: "password", type: "password" }),
        h("button", {}, "Log in"))));
  assert.equal(find(doc).form.getAttribute("id"), "modal");
});

test("the form holding the focused field is preferred", () => {
  const doc = page(loginForm({ id: "one" }), loginForm({ id: "two" }));
  const second = doc.body.children[1].children[1];
  second.focus();
  assert.equal(find(doc).form.getAttribute("id"), "two");
});

test("labels in several languages mark the username field", () => {
  const labels = ["Nombre de usuario", "Nome de usuário", "Nom d'utilisateur", "Benutzername", "Nome utente", "E-Mail-Adresse"];
  for (const text of labels) {
    const doc = page(h("form", {},
      h("label", {}, text, h("input", { name: "who", type: "text" })),
      h("input", { name: "misc", type: "text" }),
      h("input", { type: "password" })));
    const r = find(doc);
    assert.equal(r.username.getAttribute("name"), "who", text);
    assert.ok(F.usernameScore(r.username) > F.usernameScore(doc.getElementById("x") || h("input", { name: "misc" })), text);
  }
});

test("sign in with Google is not the submit button", () => {
  const doc = page(h("form", {},
    h("input", { name: "username" }),
    h("input", { type: "password" }),
    h("button", { type: "button" }, "Sign in with Google"),
    h("button", { type: "button" }, "Show password"),
    h("button", { type: "submit" }, "Sign in")));
  const r = find(doc);
  assert.equal(r.submit.getAttribute("type"), "submit");
});

test("normalize strips accents and splits names", () => {
  assert.equal(F.normalize("Código de Verificação"), "codigo de verificacao");
  assert.equal(F.normalize("verificationCode"), "verification code");
  assert.equal(F.normalize("user_name-field"), "user name field");
  assert.equal(F.normalize("Bestätigungscode"), "bestatigungscode");
});

test("without a form, the username is the input nearest the password, not a newsletter box above", () => {
  const doc = page(
    h("div", { class: "promo" }, h("input", { type: "email", name: "newsletter_email", placeholder: "Email for our newsletter" })),
    h("div", { class: "login" },
      h("input", { type: "text", name: "login", id: "near" }),
      h("input", { type: "password" }),
      h("div", { role: "button" }, "Log in")));
  assert.equal(find(doc).username.getAttribute("id"), "near");
});

test("in a form, a better-named field a little further wins over an unnamed one right before", () => {
  const doc = page(h("form", {},
    h("input", { type: "email", name: "email", id: "mail" }),
    h("input", { type: "text", name: "x" }),
    h("input", { type: "password" })));
  assert.equal(find(doc).username.getAttribute("id"), "mail");
});

test("a username step is recognised next to a header search box; a password-reset form is not a login step", () => {
  const doc = page(
    h("input", { type: "search", name: "q" }),
    h("div", {}, h("input", { type: "email", name: "email", id: "e" }), h("button", {}, "Continue")));
  const r = find(doc);
  assert.equal(r.stage, "username");
  assert.equal(r.username.getAttribute("id"), "e");
  const reset = page(h("form", { action: "/password/reset" },
    h("h2", {}, "Forgot your password?"),
    h("input", { type: "email", name: "email" }), h("button", {}, "Continue")));
  assert.equal(find(reset).stage, null);
});
