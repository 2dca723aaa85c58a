"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const E = require("../lib/errors.js");

const err = (code, message) => ({ error: { code, message: message || "server says", request_id: "r1" } });

test("2xx with a JSON object is ok", () => {
  assert.deepEqual(E.interpret(200, { token: "t" }, "login"), { ok: true, status: 200, data: { token: "t" } });
  assert.equal(E.interpret(200, undefined, "candidates").ok, false, "non-JSON body");
});

test("401: session expired or revoked offers to reconnect; on login it is a wrong password or a 2FA prompt", () => {
  for (const ctx of ["candidates", "credentials", "code", "restrictions"]) {
    const r = E.interpret(401, err("auth.required"), ctx);
    assert.equal(r.ok, false);
    assert.equal(r.action, "reconnect", ctx);
    assert.match(r.message, /expired or was revoked/);
  }
  assert.equal(E.interpret(401, err("auth.invalid_credentials"), "login").action, null);
  assert.match(E.interpret(401, err("auth.invalid_credentials"), "login").message, /Wrong email/);
  assert.equal(E.interpret(401, err("auth.totp_required"), "login").action, "totp");
});

test("403/404: origin refused, access ended, account removed", () => {
  const origin = E.interpret(403, err("autofill.origin_mismatch"), "credentials");
  assert.equal(origin.code, "autofill.origin_mismatch");
  assert.match(origin.message, /refused to fill this page/);
  assert.match(E.interpret(403, err("permission.denied"), "credentials").message, /access to this account has ended/);
  assert.match(E.interpret(404, err("account.not_found"), "credentials").message, /removed from Orthrus/);
  assert.match(E.interpret(404, err("account.not_found"), "code").message, /removed from Orthrus/);
  assert.match(E.interpret(404, err("otp.no_code"), "code").message, /No login code arrived/);
  assert.match(E.interpret(504, null, "code").message, /No login code arrived/);
  assert.match(E.interpret(404, err("autofill.no_code"), "code").message, /No login code arrived/);
  assert.match(E.interpret(409, err("autofill.code_used"), "code").message, /already used/);
  const notExt = E.interpret(403, err("autofill.extension_only"), "credentials");
  assert.deepEqual([notExt.code, notExt.action], ["autofill.extension_only", "reconnect"]);
  for (const [s, b] of [[403, err("autofill.origin_mismatch")], [404, err("account.not_found")]]) {
    assert.equal(E.interpret(s, b, "credentials").action, null, "no reconnect offered for " + s);
  }
});

test("server trouble: throttled, busy, 5xx with request id, unreachable", () => {
  assert.match(E.interpret(429, err("auth.throttled"), "login").message, /Too many tries/);
  assert.match(E.interpret(503, err("busy"), "candidates").message, /busy/);
  assert.match(E.interpret(500, err("internal"), "candidates").message, /request r1/);
  assert.match(E.unreachable("https://orthrus.example.test").message, /Can't reach the Orthrus server at https:\/\/orthrus.example.test/);
  assert.equal(E.notConnected().action, "connect");
  assert.equal(E.interpret(400, err("request.invalid", "account_id is missing"), "credentials").message, "account_id is missing");
  assert.match(E.interpret(418, "teapot", "candidates").message, /does not understand \(HTTP 418\)/);
});

test("pairing poll: 202 waits, 200 ends with the token, anything else stops with its message", () => {
  assert.deepEqual(E.pollResult(202, { status: "pending" }), { state: "pending" });
  assert.deepEqual(E.pollResult(200, { token: "tok", expires_at: "2027-01-01T00:00:00Z" }),
    { state: "done", token: "tok", expires_at: "2027-01-01T00:00:00Z" });
  assert.equal(E.pollResult(200, {}).state, "failed");
  const gone = E.pollResult(410, err("pairing.expired", "expired"));
  assert.deepEqual([gone.state, gone.message], ["failed", "This pairing request expired. Start again."]);
  assert.equal(E.pollResult(404, err("pairing.not_found")).state, "failed");
  assert.match(E.pollResult(403, err("pairing.denied", "the number did not match")).message, /refused: the number did not match/);
  assert.equal(E.pollResult(500, null).state, "failed");
});

test("pairing start answer is checked", () => {
  assert.deepEqual(E.pairingStart({ id: "p1", secret: "s", number: 42, approve_url: "https://orthrus.example.test/x" }),
    { id: "p1", secret: "s", number: "42", approve_url: "https://orthrus.example.test/x" });
  assert.equal(E.pairingStart({ id: "p1", number: 42 }), null);
});

test("candidates, restrictions and the blocked notice", () => {
  assert.deepEqual(E.candidates([{ account_id: "a1", label: "Brand IG", app: "Instagram", username: "brand" }, { label: "no id" }, null]),
    [{ account_id: "a1", label: "Brand IG", app: "Instagram", username: "brand" }]);
  assert.equal(E.candidates({}), null);
  assert.deepEqual(E.restrictions({ blocked: true, message: "Security settings", ask: ["Ana", 3, "Bo"] }),
    { blocked: true, message: "Security settings", ask: ["Ana", "Bo"] });
  assert.deepEqual(E.restrictions(null), { blocked: false, message: null, ask: [] });
  assert.equal(E.restrictions({ blocked: "yes" }).blocked, false);
  assert.equal(E.blockedNotice({ message: "only owners change the password", ask: ["Ana", "Bo", "Cy"] }),
    "This page is blocked for your role in Orthrus: only owners change the password. Ask Ana, Bo or Cy.");
  assert.equal(E.blockedNotice({ message: null, ask: [] }), "This page is blocked for your role in Orthrus.");
  assert.equal(E.blockedNotice({ message: "No.", ask: ["Ana"] }), "This page is blocked for your role in Orthrus: No. Ask Ana.");
});

test("credentials come whole or not at all; codes must be there", () => {
  assert.deepEqual(E.credentials({ username: "u", password: "p" }), { ok: true, data: { username: "u", password: "p" } });
  for (const b of [null, {}, { username: "u" }, { password: "p" }, { username: "", password: "p" }, { username: "u", password: 5 }]) {
    const r = E.credentials(b);
    assert.equal(r.ok, false);
    assert.match(r.message, /nothing was filled/);
    assert.equal(JSON.stringify(r).includes("\"p\""), false, "the password is not echoed back");
  }
  assert.deepEqual(E.code({ code: " 123456 ", source: "inbox" }), { ok: true, data: { code: "123456", source: "inbox" } });
  assert.equal(E.code({ code: "" }).ok, false);
});
