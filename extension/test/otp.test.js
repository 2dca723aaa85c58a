"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const O = require("../lib/otp.js");
const { h, page, fakeProbe } = require("./dom.js");

const opts = { probe: fakeProbe };

test("autocomplete=one-time-code is the code field", () => {
  const doc = page(h("form", {},
    h("input", { name: "x1", autocomplete: "one-time-code", inputmode: "numeric" }),
    h("button", {}, "Confirm")));
  const r = O.findCodeFields(doc, opts);
  assert.equal(r.kind, "single");
  assert.equal(r.field.getAttribute("name"), "x1");
  assert.equal(r.submit.textContent, "Confirm");
});

test("labels and placeholders in six languages name a code field", () => {
  const names = [
    ["label", "Security code"],
    ["placeholder", "Enter the 6-digit code"],
    ["aria-label", "Verification code"],
    ["placeholder", "2FA"],
    ["label", "Código de verificación"],
    ["label", "Código de verificação"],
    ["placeholder", "Code de vérification"],
    ["label", "Sicherheitscode"],
    ["aria-label", "Bestätigungscode"],
    ["placeholder", "Codice di verifica"],
    ["id", "otpInput"],
    ["name", "approvals_code"],
  ];
  for (const [where, text] of names) {
    const input = where === "label"
      ? h("label", {}, text, h("input", { type: "text" }))
      : h("input", { type: "tel", [where]: text });
    const doc = page(h("form", {}, input));
    const r = O.findCodeFields(doc, opts);
    assert.ok(r, `${where}=${text} should be a code field`);
    assert.equal(r.kind, "single");
  }
});

test("coupon, promo, zip, postal, gift, bank and captcha fields are not code fields", () => {
  const names = ["Coupon code", "Promo code", "ZIP code", "Postal code", "Gift card code", "Bank code",
    "Captcha code", "Código postal", "Cupom", "Code postal", "Postleitzahl", "Gutscheincode", "Codice sconto"];
  for (const text of names) {
    const doc = page(h("form", {}, h("input", { type: "text", placeholder: text })));
    assert.equal(O.findCodeFields(doc, opts), null, text);
  }
  // even with one-time-code next to them, the coupon box is not taken
  const doc = page(h("form", {},
    h("input", { name: "coupon_code", placeholder: "Coupon" }),
    h("input", { name: "zip", placeholder: "ZIP code", maxlength: "5" }),
    h("input", { name: "verification_code", maxlength: "6" })));
  assert.equal(O.findCodeFields(doc, opts).field.getAttribute("name"), "verification_code");
});

test("maxlength must be between 4 and 10", () => {
  assert.equal(O.isCodeField(h("input", { name: "code", maxlength: "3" }), fakeProbe), false);
  assert.equal(O.isCodeField(h("input", { name: "code", maxlength: "64" }), fakeProbe), false);
  assert.equal(O.isCodeField(h("input", { name: "code", maxlength: "6" }), fakeProbe), true);
  assert.equal(O.isCodeField(h("input", { name: "code", maxlength: "10" }), fakeProbe), true);
  assert.equal(O.isCodeField(h("input", { name: "code" }), fakeProbe), true);
});

test("six boxes of maxlength 1 are one code, one digit each", () => {
  const boxes = [0, 1, 2, 3, 4, 5].map((i) => h("div", { class: "cell" },
    h("input", { type: "text", maxlength: "1", inputmode: "numeric", "aria-label": "Digit " + (i + 1) })));
  const doc = page(h("form", {}, h("div", { class: "row" }, ...boxes), h("button", {}, "Verify")));
  const r = O.findCodeFields(doc, opts);
  assert.equal(r.kind, "boxes");
  assert.equal(r.fields.length, 6);
  assert.equal(r.submit.textContent, "Verify");
});

test("digit boxes: a hidden box or a gap breaks the run", () => {
  const three = [0, 1, 2].map(() => h("input", { maxlength: "1" }));
  const doc = page(h("div", {}, ...three), h("input", { name: "other" }), h("div", {}, h("input", { maxlength: "1" })));
  assert.equal(O.findDigitGroups(doc, fakeProbe).length, 0);
  const hidden = [0, 1, 2, 3, 4, 5].map((i) => h("input", { maxlength: "1", style: i === 2 ? { display: "none" } : {} }));
  const d2 = page(h("div", {}, ...hidden));
  // 5 usable boxes in a row: still one run of 5 (the hidden one is ignored)
  assert.deepEqual(O.findDigitGroups(d2, fakeProbe).map((g) => g.length), [5]);
});

test("splitDigits fits the code to the boxes or refuses", () => {
  assert.deepEqual(O.splitDigits("123 456", 6), ["1", "2", "3", "4", "5", "6"]);
  assert.deepEqual(O.splitDigits("123-456", 6), ["1", "2", "3", "4", "5", "6"]);
  assert.equal(O.splitDigits("12345", 6), null);
  assert.equal(O.splitDigits("1234567", 6), null);
  assert.equal(O.splitDigits("", 6), null);
});

test("hidden code fields are not filled", () => {
  const doc = page(h("form", {},
    h("input", { autocomplete: "one-time-code", style: { visibility: "hidden" } }),
    h("input", { name: "otp", rect: { x: -3000 } })));
  assert.equal(O.findCodeFields(doc, opts), null);
});

test("the word lists cover the six languages and the ignore list", () => {
  for (const lang of ["en", "es", "pt", "fr", "de", "it"]) assert.ok(O.CODE_WORDS[lang].length >= 5, lang);
  for (const w of ["coupon", "promo", "postal", "zip", "bank", "gift", "captcha"]) assert.ok(O.IGNORE_WORDS.includes(w), w);
  assert.equal(O.isIgnored("enter coupon code"), true);
  assert.equal(O.mentionsCode("codice di verifica"), true);
  assert.equal(O.mentionsCode("first name"), false);
});

test("right after a login, an unnamed numeric field is the code field only if it is alone", () => {
  const lone = () => page(h("form", {}, h("input", { type: "text", inputmode: "numeric", maxlength: "6", name: "f1" }), h("button", {}, "Submit")));
  assert.equal(O.findCodeFields(lone(), opts), null, "not without the hint");
  assert.equal(O.findCodeFields(lone(), Object.assign({ expectCode: true }, opts)).field.getAttribute("name"), "f1");
  const two = page(h("form", {},
    h("input", { type: "text", inputmode: "numeric", maxlength: "6" }), h("input", { type: "text", name: "note" })));
  assert.equal(O.findCodeFields(two, Object.assign({ expectCode: true }, opts)), null, "not when another text field is there");
  const zip = page(h("form", {}, h("input", { type: "text", inputmode: "numeric", maxlength: "5", placeholder: "ZIP" })));
  assert.equal(O.findCodeFields(zip, Object.assign({ expectCode: true }, opts)), null, "not a zip box");
  const pat = page(h("form", {}, h("input", { type: "text", pattern: "\\d{6}", maxlength: "6" })));
  assert.ok(O.findCodeFields(pat, Object.assign({ expectCode: true }, opts)), "a digits pattern counts as numeric");
});

test("a challenge page says where its code comes from", () => {
  const cases = [
    ["We sent a 6-digit security code to b***@inbox.example.test.", "inbox"],
    ["Enter the code we sent by text message to +1 ••• 23", "inbox"],
    ["Te enviamos un código por correo electrónico.", "inbox"],
    ["Wir haben dir einen Code per E-Mail gesendet.", "inbox"],
    ["Enter the 6-digit code from your authentication app.", "totp"],
    ["Open Google Authenticator and enter the code.", "totp"],
    ["Insira o código do aplicativo de autenticação.", "totp"],
    ["Two-factor authentication", null],
    ["", null],
  ];
  for (const [text, want] of cases) assert.strictEqual(O.codeSource(text), want, text);
});
