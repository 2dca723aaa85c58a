"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const P = require("../lib/page.js");
const F = require("../lib/fields.js");
const { h, page, shadow, frame, fakeProbe, FakeInput } = require("./dom.js");

const opts = { probe: fakeProbe };
const creds = { username: "brand@example.test", password: "s3cret-Pa55" };

function loginPage() {
  return page(h("form", { id: "f" },
    h("input", { name: "username", id: "u" }),
    h("input", { name: "password", id: "p", type: "password" }),
    h("button", { type: "submit" }, "Log in")));
}

test("page.js puts its functions on one global namespace", () => {
  assert.equal(globalThis.OrthrusPage, P);
  for (const f of ["findLoginFields", "findCodeFields", "fillCredentials", "fillCode", "submit"]) {
    assert.equal(typeof P[f], "function", f);
  }
});

test("fillCredentials fills both fields and submits once", () => {
  const doc = loginPage();
  const r = P.fillCredentials(doc, creds, opts);
  assert.equal(r.ok, true);
  assert.equal(r.stage, "full");
  assert.equal(r.next, "code");
  assert.equal(doc.getElementById("u").value, creds.username);
  assert.equal(doc.getElementById("p").value, creds.password);
  assert.equal(doc.getElementById("f").submitted, 1);
});

test("React-style input: the prototype setter is used, then input and change bubble", () => {
  const doc = loginPage();
  const u = doc.getElementById("u");
  // What React does: an own `value` property on the node that tracks writes.
  const instanceSets = [];
  const protoDesc = Object.getOwnPropertyDescriptor(FakeInput.prototype, "value");
  Object.defineProperty(u, "value", {
    configurable: true,
    get() { return protoDesc.get.call(this); },
    set(v) { instanceSets.push(v); protoDesc.set.call(this, v); },
  });
  const r = P.fillCredentials(doc, creds, Object.assign({ submit: false }, opts));
  assert.equal(r.ok, true);
  assert.deepEqual(u.protoSets, [creds.username]);
  assert.deepEqual(instanceSets, [], "the instance's own setter must be bypassed");
  const evs = u.events.filter((e) => e.type !== "focus");
  assert.deepEqual(evs, [{ type: "input", bubbles: true }, { type: "change", bubbles: true }]);
  assert.equal(doc.getElementById("f").submitted, 0, "submit: false leaves submitting to the caller");
  assert.equal(P.submit(r), true);
  assert.equal(doc.getElementById("f").submitted, 1);
});

test("setValue on a recording element: setter then input, change", () => {
  const calls = [];
  class Rec {
    set value(v) { calls.push(["set", v]); }
    get value() { return ""; }
  }
  const el = new Rec();
  el.tagName = "INPUT";
  el.ownerDocument = { defaultView: { HTMLInputElement: Rec, Event: globalThis.Event } };
  el.focus = () => calls.push(["focus"]);
  el.dispatchEvent = (e) => calls.push([e.type, e.bubbles]);
  F.setValue(el, "abc");
  assert.deepEqual(calls, [["focus"], ["set", "abc"], ["input", true], ["change", true]]);
});

test("never partial: without both username and password nothing is filled", () => {
  for (const bad of [null, {}, { username: "a" }, { password: "b" }, { username: "", password: "b" }, { username: "a", password: "" }]) {
    const doc = loginPage();
    const r = P.fillCredentials(doc, bad, opts);
    assert.equal(r.ok, false);
    assert.equal(r.reason, "incomplete");
    assert.equal(doc.getElementById("u").protoSets.length, 0);
    assert.equal(doc.getElementById("p").protoSets.length, 0);
  }
});

test("two-step: username screen then password screen; a username screen when a password was expected is refused", () => {
  const first = page(h("form", { id: "f" },
    h("input", { type: "email", autocomplete: "username", id: "u" }), h("button", {}, "Next")));
  const a = P.fillCredentials(first, creds, opts);
  assert.deepEqual([a.ok, a.stage, a.next], [true, "username", "password"]);
  assert.equal(first.getElementById("u").value, creds.username);
  assert.equal(first.getElementById("f").submitted, 1);

  const second = page(h("form", { id: "f" },
    h("input", { type: "password", id: "p" }), h("button", {}, "Sign in")));
  const b = P.fillCredentials(second, creds, Object.assign({ expect: "password" }, opts));
  assert.deepEqual([b.ok, b.stage], [true, "password"]);
  assert.equal(second.getElementById("p").value, creds.password);

  const again = page(h("form", {}, h("input", { type: "email", autocomplete: "username", id: "u" }), h("button", {}, "Next")));
  const c = P.fillCredentials(again, creds, Object.assign({ expect: "password" }, opts));
  assert.deepEqual([c.ok, c.reason], [false, "unexpected-stage"]);
  assert.equal(again.getElementById("u").protoSets.length, 0);
});

test("fills inside a same-origin iframe and an open shadow root", () => {
  const inner = loginPage();
  const doc = page(frame(inner));
  assert.equal(P.fillCredentials(doc, creds, opts).ok, true);
  assert.equal(inner.getElementById("p").value, creds.password);

  const host = h("x-login", {});
  const u = h("input", { name: "email", type: "email" });
  const p = h("input", { name: "password", type: "password" });
  shadow(host, h("form", {}, u, p, h("button", {}, "Log in")));
  const d2 = page(host);
  assert.equal(P.fillCredentials(d2, creds, opts).ok, true);
  assert.equal(u.value, creds.username);
  assert.equal(p.value, creds.password);
});

test("honeypots stay empty when the real form is filled", () => {
  const trap = h("input", { name: "email_confirm_hp", type: "text", rect: { x: -9999 } });
  const hidden = h("input", { name: "nickname", type: "text", style: { display: "none" } });
  const doc = page(h("form", { id: "f" },
    h("input", { name: "username", id: "u" }), trap, hidden,
    h("input", { type: "password", id: "p" }), h("button", {}, "Log in")));
  assert.equal(P.fillCredentials(doc, creds, opts).ok, true);
  assert.equal(trap.protoSets.length, 0);
  assert.equal(hidden.protoSets.length, 0);
});

test("a form that re-renders while typing: the new password field is found; lost values are not submitted", () => {
  const doc = loginPage();
  const u = doc.getElementById("u");
  const form = doc.getElementById("f");
  // On the username's input event the framework replaces the password input.
  u.addEventListener("input", () => {
    const old = doc.getElementById("p");
    if (old) old.replaceWith(h("input", { name: "password", id: "p2", type: "password" }));
  });
  const r = P.fillCredentials(doc, creds, opts);
  assert.equal(r.ok, true);
  assert.equal(doc.getElementById("p2").value, creds.password);
  assert.equal(form.submitted, 1);

  // A framework that wipes the username after the password is set: no submit.
  const d2 = loginPage();
  const u2 = d2.getElementById("u");
  d2.getElementById("p").addEventListener("input", () => { u2._value = ""; });
  const r2 = P.fillCredentials(d2, creds, opts);
  assert.deepEqual([r2.ok, r2.reason], [false, "rerendered"]);
  assert.equal(d2.getElementById("f").submitted, 0);
});

test("no login form: nothing filled", () => {
  const doc = page(h("form", {}, h("input", { name: "q", type: "search" })));
  assert.deepEqual(P.fillCredentials(doc, creds, opts), { ok: false, reason: "no-form" });
});

test("fillCode: one box per digit gets one digit each, then submit", () => {
  const boxes = [0, 1, 2, 3, 4, 5].map(() => h("input", { maxlength: "1", inputmode: "numeric" }));
  const doc = page(h("form", { id: "f" }, h("div", {}, ...boxes), h("button", {}, "Verify")));
  const r = P.fillCode(doc, "123 456", opts);
  assert.equal(r.ok, true);
  assert.equal(r.kind, "boxes");
  assert.deepEqual(boxes.map((b) => b.value), ["1", "2", "3", "4", "5", "6"]);
  assert.equal(doc.getElementById("f").submitted, 1);
});

test("fillCode: a single field; a code that does not fit is not filled", () => {
  const doc = page(h("form", { id: "f" }, h("input", { id: "c", autocomplete: "one-time-code", maxlength: "6" }), h("button", {}, "Continuar")));
  assert.equal(P.fillCode(doc, "654321", opts).ok, true);
  assert.equal(doc.getElementById("c").value, "654321");
  const d2 = page(h("form", {}, h("input", { id: "c", autocomplete: "one-time-code", maxlength: "6" })));
  assert.deepEqual(P.fillCode(d2, "12345678", opts), { ok: false, reason: "length-mismatch" });
  assert.equal(d2.getElementById("c").protoSets.length, 0);
  const boxes = [0, 1, 2, 3, 4, 5].map(() => h("input", { maxlength: "1" }));
  const d3 = page(h("div", {}, ...boxes));
  assert.deepEqual(P.fillCode(d3, "12345", opts), { ok: false, reason: "length-mismatch" });
  assert.ok(boxes.every((b) => b.protoSets.length === 0));
});

test("fillCode ignores a coupon box and fills the code box", () => {
  const coupon = h("input", { name: "coupon", placeholder: "Promo code" });
  const code = h("input", { name: "code", placeholder: "Código de segurança" });
  const doc = page(h("form", {}, coupon, code, h("button", {}, "Enviar")));
  assert.equal(P.fillCode(doc, "111222", opts).ok, true);
  assert.equal(code.value, "111222");
  assert.equal(coupon.protoSets.length, 0);
});
