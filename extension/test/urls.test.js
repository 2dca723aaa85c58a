"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const U = require("../lib/urls.js");

test("originOf and pageUrl", () => {
  assert.equal(U.originOf("https://www.instagram.com/accounts/login/?next=%2F#x"), "https://www.instagram.com");
  assert.equal(U.originOf("http://localhost:8080/a"), "http://localhost:8080");
  assert.equal(U.originOf("chrome://extensions"), null);
  assert.equal(U.originOf("file:///etc/passwd"), null);
  assert.equal(U.originOf("not a url"), null);
  assert.equal(U.pageUrl("https://www.instagram.com/a?b=1#frag"), "https://www.instagram.com/a?b=1");
  assert.equal(U.isWebPage("about:blank"), false);
});

test("cache keys: candidates per origin, restrictions per URL without fragment", () => {
  assert.equal(U.candidatesKey("https://www.instagram.com/accounts/login/"), "cand:https://www.instagram.com");
  assert.equal(U.candidatesKey("https://www.instagram.com/other?x=1"), U.candidatesKey("https://www.instagram.com/"));
  assert.notEqual(U.candidatesKey("https://www.instagram.com/"), U.candidatesKey("https://instagram.com/"));
  assert.equal(U.candidatesKey("about:blank"), null);
  assert.equal(U.restrictionsKey("https://www.instagram.com/accounts/password/change/#top"),
    "restr:https://www.instagram.com/accounts/password/change/");
  assert.notEqual(U.restrictionsKey("https://www.instagram.com/a"), U.restrictionsKey("https://www.instagram.com/b"));
  assert.equal(U.pendingKey(42), "pending:42");
});

test("normalizeServer: https by default, http only on loopback, no credentials", () => {
  assert.deepEqual(U.normalizeServer("orthrus.example.test"), { ok: true, server: "https://orthrus.example.test" });
  assert.deepEqual(U.normalizeServer(" https://orthrus.example.test/ "), { ok: true, server: "https://orthrus.example.test" });
  assert.deepEqual(U.normalizeServer("https://example.test/orthrus/?x#y"), { ok: true, server: "https://example.test/orthrus" });
  assert.deepEqual(U.normalizeServer("http://localhost:8080"), { ok: true, server: "http://localhost:8080" });
  assert.deepEqual(U.normalizeServer("http://127.0.0.1:3000/"), { ok: true, server: "http://127.0.0.1:3000" });
  assert.deepEqual(U.normalizeServer("http://[::1]:3000"), { ok: true, server: "http://[::1]:3000" });
  assert.equal(U.normalizeServer("http://orthrus.example.test").ok, false);
  assert.equal(U.normalizeServer("ftp://orthrus.example.test").ok, false);
  assert.equal(U.normalizeServer("https://me:pw@orthrus.example.test").ok, false);
  assert.equal(U.normalizeServer("").ok, false);
});

test("apiUrl and onServer", () => {
  assert.equal(U.apiUrl("https://example.test/orthrus", "/api/v1/autofill/candidates", { url: "https://www.instagram.com/a?b=1&c" }),
    "https://example.test/orthrus/api/v1/autofill/candidates?url=https%3A%2F%2Fwww.instagram.com%2Fa%3Fb%3D1%26c");
  assert.equal(U.apiUrl("https://orthrus.example.test", "/api/v1/autofill"), "https://orthrus.example.test/api/v1/autofill");
  assert.equal(U.onServer("https://orthrus.example.test/extension/approve?id=1", "https://orthrus.example.test"), true);
  assert.equal(U.onServer("https://evil.example.test/approve", "https://orthrus.example.test"), false);
  assert.equal(U.onServer("https://example.test/orthrusx/a", "https://example.test/orthrus"), false);
  assert.equal(U.onServer("https://example.test/orthrus/a", "https://example.test/orthrus"), true);
});

test("browserName from user agents", () => {
  assert.equal(U.browserName("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099 Safari/537.36"), "Chrome 120 on Linux");
  assert.equal(U.browserName("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"), "Firefox 121 on Windows");
  assert.equal(U.browserName("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099 Safari/537.36 Edg/120.0.2210"), "Edge 120 on macOS");
  assert.equal(U.browserName(""), "Browser");
});
