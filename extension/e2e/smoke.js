/* Smoke test of the extension in a real Chromium (not part of `node --test`):
 *
 *   node extension/e2e/smoke.js        (needs chromium and chromedriver on PATH)
 *
 * Starts a fake Orthrus server (127.0.0.1) and a fake app site (localhost,
 * another origin), loads a copy of the extension preconnected through
 * preset.json, and checks in the browser: a blocked page is replaced by the
 * notice; the icon appears by the login field; picking the account fills and
 * submits the form; the next page's 6 digit boxes get the login code; a
 * two-step login continues on its password screen; the fake server saw the
 * requests the README documents.
 */
"use strict";
const http = require("node:http");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawn } = require("node:child_process");

const EXT = path.join(__dirname, "..");
const TOKEN = "tok-smoke-1";
const TOKEN2 = "tok-smoke-paired";
const TOKEN3 = "tok-smoke-login";
let polls = 0;
let revoked = false;
let server;
const seen = [];

function listen(handler) {
  return new Promise((resolve) => {
    const s = http.createServer(handler);
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
}

function body(req) {
  return new Promise((resolve) => {
    let b = "";
    req.on("data", (c) => (b += c));
    req.on("end", () => resolve(b));
  });
}

async function orthrus(req, res) {
  const url = new URL(req.url, "http://127.0.0.1");
  const json = (status, obj) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(obj));
  };
  const raw = await body(req);
  const b = raw ? JSON.parse(raw) : null;
  seen.push({ method: req.method, path: url.pathname, query: url.search, body: b, auth: req.headers.authorization || null, origin: req.headers.origin || null, site: req.headers["sec-fetch-site"] || null, cookie: req.headers.cookie || null });
  if (url.pathname === "/api/v1/extension/pairings" && req.method === "POST") {
    return json(200, { id: "pr1", secret: "sec-1", number: 37, approve_url: "http://127.0.0.1:" + server.address().port + "/approve/pr1" });
  }
  if (url.pathname === "/api/v1/extension/pairings/pr1/token") {
    if (!b || b.secret !== "sec-1") return json(403, { error: { code: "pairing.denied", message: "wrong secret" } });
    polls++;
    return polls < 3 ? json(202, { status: "pending" }) : json(200, { token: TOKEN2, expires_at: "2030-01-01T00:00:00Z" });
  }
  if (url.pathname.startsWith("/approve/")) {
    res.writeHead(200, { "Content-Type": "text/html" });
    return res.end("<title>Approve</title><p>pick 37</p>");
  }
  if (url.pathname === "/api/v1/auth/login" && req.method === "POST") {
    if (b.email === "ana@example.test" && b.password === "pw" && b.totp === "654321" && b.client === "extension") {
      return json(200, { token: TOKEN3, expires_at: "2030-01-01T00:00:00Z" });
    }
    if (b.email === "ana@example.test" && b.password === "pw" && !b.totp) {
      return json(401, { error: { code: "auth.totp_required", message: "2FA code required" } });
    }
    return json(401, { error: { code: "auth.invalid_credentials", message: "wrong" } });
  }
  if (revoked || ![TOKEN, TOKEN2, TOKEN3].some((t) => req.headers.authorization === "Bearer " + t)) {
    return json(401, { error: { code: "auth.required", message: "sign in" } });
  }
  if (url.pathname === "/api/v1/autofill/restrictions") {
    const page = url.searchParams.get("url") || "";
    return json(200, page.includes("/security")
      ? { blocked: true, message: "Only owners change security settings", ask: ["Ana", "Bo"] }
      : { blocked: false, message: null, ask: [] });
  }
  if (url.pathname === "/api/v1/autofill/candidates") {
    return json(200, [{ account_id: "acc-1", label: "Brand", app: "Instagram", username: "brand@example.test" }]);
  }
  if (url.pathname === "/api/v1/autofill" && req.method === "POST") {
    if (b.step === "credentials") return json(200, { username: "brand@example.test", password: "pw-Secret-1" });
    if (b.step === "code") return json(200, { code: "123456", source: "totp" });
  }
  json(404, { error: { code: "not_found", message: "no" } });
}

const PAGES = {
  "/login": `<!doctype html><title>Login</title>
    <form id="news"><input type="email" name="email" placeholder="Newsletter"><button>Subscribe</button></form>
    <form id="f" action="/challenge" method="get" style="margin-top:40px">
      <input name="username" id="u" style="width:300px;height:30px" placeholder="Username">
      <input name="password" id="p" type="password" style="width:300px;height:30px">
      <input name="hp" id="trap" style="position:absolute;left:-9999px">
      <button type="submit">Log in</button></form>`,
  "/challenge": `<!doctype html><title>Code</title><form id="c" action="/done" method="get">
    <p>Enter the 6-digit security code</p><div>${[1, 2, 3, 4, 5, 6].map((i) => `<input name="d${i}" maxlength="1" style="width:30px;height:30px">`).join("")}</div>
    <button type="submit">Verify</button></form>`,
  "/done": `<!doctype html><title>Done</title><p>done</p>`,
  "/step1": `<!doctype html><title>Step 1</title><form action="/step2" method="get">
    <input type="email" name="identifier" autocomplete="username" style="width:300px;height:30px"><button>Next</button></form>`,
  "/step2": `<!doctype html><title>Step 2</title><form action="/done2" method="get">
    <input type="password" name="pw" style="width:300px;height:30px"><button>Sign in</button></form>`,
  "/done2": `<!doctype html><title>Done 2</title><p>done</p>`,
  "/spa": `<!doctype html><title>SPA</title><div id="app"><form id="one">
    <input type="email" name="identifier" autocomplete="username" style="width:300px;height:30px"><button>Next</button></form></div>
    <script>
      document.getElementById("one").addEventListener("submit", (ev) => {
        ev.preventDefault();
        const who = ev.target.identifier.value;
        setTimeout(() => {
          document.getElementById("app").innerHTML = '<form id="two" action="/done3" method="get"><p>' + who.replace(/</g, "") +
            '</p><input type="hidden" name="who" value="' + who.replace(/"/g, "") + '">' +
            '<input type="password" name="pw" style="width:300px;height:30px"><button>Sign in</button></form>';
        }, 400);
      });
    </script>`,
  "/done3": `<!doctype html><title>Done 3</title><p>done</p>`,
  "/react": `<!doctype html><title>React-like</title><form id="f" action="/done4" method="get">
    <input name="user" id="u" style="width:300px;height:30px"><input name="pass" id="p" type="password" style="width:300px;height:30px">
    <button>Log in</button></form>
    <script>
      // What React does to a controlled input: an own value property that
      // tracks writes, and on "input" a revert to the state unless the
      // native value differs from the tracked one (then onChange runs).
      const native = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value");
      window.state = {};
      for (const el of document.querySelectorAll("input")) {
        let tracked = "";
        state[el.name] = "";
        Object.defineProperty(el, "value", { configurable: true,
          get() { return native.get.call(this); },
          set(v) { tracked = String(v); native.set.call(this, v); } });
        el.addEventListener("input", () => {
          const now = native.get.call(el);
          if (now !== tracked) { tracked = now; state[el.name] = now; } else { native.set.call(el, state[el.name]); }
        });
      }
      document.getElementById("f").addEventListener("submit", (ev) => {
        // Submit what the "state" says, like a React app would.
        for (const el of ev.target.querySelectorAll("input")) native.set.call(el, state[el.name]);
      });
    </script>`,
  "/done4": `<!doctype html><title>Done 4</title><p>done</p>`,
  "/security": `<!doctype html><title>Security</title><h1>Change password</h1><input type="password">`,
};

function site(req, res) {
  const url = new URL(req.url, "http://localhost");
  const page = PAGES[url.pathname];
  if (!page) {
    res.writeHead(404);
    return res.end();
  }
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
  res.end(page);
}

let driverBase;
async function wd(method, p, b) {
  const res = await fetch(driverBase + p, { method, headers: { "Content-Type": "application/json" }, body: b ? JSON.stringify(b) : undefined });
  const j = await res.json();
  if (j.value && j.value.error) throw new Error(p + ": " + j.value.error + ": " + j.value.message);
  return j.value;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, fn, ms) {
  const end = Date.now() + (ms || 10000);
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await sleep(200);
  }
  throw new Error("timed out waiting for " + what + " (last: " + JSON.stringify(last) + ")");
}

function check(cond, what) {
  if (!cond) throw new Error("FAILED: " + what);
  console.log("ok - " + what);
}

async function main() {
  server = await listen(orthrus);
  const app = await listen(site);
  const serverUrl = "http://127.0.0.1:" + server.address().port;
  const appUrl = "http://localhost:" + app.address().port;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orthrus-ext-"));
  fs.cpSync(EXT, dir, { recursive: true, filter: (src) => !/[\\/](test|e2e)([\\/]|$)/.test(src.slice(EXT.length)) });
  fs.writeFileSync(path.join(dir, "preset.json"), JSON.stringify({ server: serverUrl, token: TOKEN }));

  const port = 9600 + Math.floor(Math.random() * 300);
  const driver = spawn("chromedriver", ["--port=" + port], { stdio: "ignore" });
  driverBase = "http://127.0.0.1:" + port;
  await waitFor("chromedriver", () => fetch(driverBase + "/status").then((r) => r.ok, () => false));
  const s = await wd("POST", "/session", {
    capabilities: {
      alwaysMatch: {
        "goog:chromeOptions": {
          args: ["--headless=new", "--no-sandbox", "--window-size=1200,900", "--load-extension=" + dir,
            "--disable-extensions-except=" + dir, "--user-data-dir=" + path.join(dir, ".profile")],
        },
      },
    },
  });
  const S = "/session/" + s.sessionId;
  const go = (u) => wd("POST", S + "/url", { url: u });
  const js = (script, args) => wd("POST", S + "/execute/sync", { script, args: args || [] });
  const clickAt = (x, y) => wd("POST", S + "/actions", {
    actions: [{ type: "pointer", id: "m", parameters: { pointerType: "mouse" }, actions: [
      { type: "pointerMove", x: Math.round(x), y: Math.round(y), origin: "viewport" },
      { type: "pointerDown", button: 0 }, { type: "pointerUp", button: 0 }] }],
  });

  // Waits for the one in-page icon, clicks it beside the field `css`, then
  // the menu's first entry.
  const pickFirst = async (css) => {
    await waitFor("icon host", () => js("return document.querySelectorAll('orthrus-ui').length === 1"));
    const b = await js("const r = document.querySelector(arguments[0]).getBoundingClientRect(); return {x: r.left, y: r.top, w: r.width, h: r.height}", [css]);
    await clickAt(b.x + b.w - 6 - 11, b.y + b.h / 2);
    await sleep(300);
    await clickAt(b.x + b.w - 226 + 40, b.y + b.h + 4 + 40);
  };

  try {
    // 1. Blocked page.
    await sleep(1500); // the worker starts and reads preset.json
    await go(appUrl + "/security");
    const text = await waitFor("blocked notice", () => js("return document.title === 'Blocked by Orthrus' && document.body.innerText"));
    check(text.includes("This page is blocked for your role in Orthrus: Only owners change security settings. Ask Ana or Bo."), "blocked page shows the notice");

    // 2. Login page: icon, menu, fill, submit, then the code boxes.
    await go(appUrl + "/login");
    await pickFirst("#u");
    const url = await waitFor("code page", () => js("return location.pathname === '/challenge' && location.search"));
    const q = new URLSearchParams(url);
    check(q.get("username") === "brand@example.test" && q.get("password") === "pw-Secret-1", "login form filled and submitted");
    check(q.get("hp") === "", "honeypot left empty");
    const done = await waitFor("done page", () => js("return location.pathname === '/done' && location.search"), 15000);
    check(new URLSearchParams(done).toString() === "d1=1&d2=2&d3=3&d4=4&d5=5&d6=6", "code boxes filled one digit each and submitted");

    // 3. Two-step login.
    await go(appUrl + "/step1");
    await pickFirst("input");
    const d2 = await waitFor("second step done", () => js("return location.pathname === '/done2' && location.search"), 15000);
    check(new URLSearchParams(d2).get("pw") === "pw-Secret-1", "two-step login: password filled on the second screen");

    // 3b. Two-step in a single-page app: the password form replaces the username form.
    await go(appUrl + "/spa");
    await pickFirst("input");
    const d3 = await waitFor("spa done", () => js("return location.pathname === '/done3' && location.search"), 15000);
    check(new URLSearchParams(d3).get("pw") === "pw-Secret-1" && new URLSearchParams(d3).get("who") === "brand@example.test",
      "single-page two-step login: password filled after the form was replaced");

    // 3c. React-style controlled inputs keep the filled values.
    await go(appUrl + "/react");
    await pickFirst("#u");
    const d4 = await waitFor("react done", () => js("return location.pathname === '/done4' && location.search"), 15000);
    const q4 = new URLSearchParams(d4);
    check(q4.get("user") === "brand@example.test" && q4.get("pass") === "pw-Secret-1", "React-style controlled inputs: state updated, values submitted");

    // 4. What the server saw.
    const fills = seen.filter((r) => r.path === "/api/v1/autofill");
    check(fills.length === 7 && fills.every((r) => r.auth === "Bearer " + TOKEN), "seven autofill requests (4 steps above, 2 for the SPA, 1 for React), all with the Bearer token");
    check(fills[0].body.step === "credentials" && fills[0].body.account_id === "acc-1" && fills[0].body.url.startsWith(appUrl + "/login"), "credentials request body");
    check(fills[1].body.step === "code" && fills[1].body.wait === 30, "code request body");
    check(seen.some((r) => r.path === "/api/v1/autofill/candidates" && r.query.startsWith("?url=")), "candidates asked with ?url=");
    // 5. Pairing by approval from the options page.
    const extOrigin = seen.find((r) => r.origin && r.origin.startsWith("chrome-extension://")).origin;
    const el = async (css) => Object.values(await wd("POST", S + "/element", { using: "css selector", value: css }))[0];
    const click = async (css) => wd("POST", S + "/element/" + (await el(css)) + "/click", {});
    const type = async (css, text) => {
      const id = await el(css);
      await wd("POST", S + "/element/" + id + "/clear", {});
      await wd("POST", S + "/element/" + id + "/value", { text });
    };
    const optionsHandle = await wd("GET", S + "/window");
    await go(extOrigin + "/options/options.html");
    await waitFor("connected status", () => js("return !document.getElementById('status').classList.contains('hidden')"));
    await click("#disconnect");
    await waitFor("disconnected", () => js("return document.getElementById('status').classList.contains('hidden')"));
    await type("#server", serverUrl);
    await click("#pair");
    const shown = await waitFor("pairing number", () => js("return document.getElementById('number').textContent"));
    check(shown === "37", "pairing number shown");
    const msg = await waitFor("paired", () => js("const m = document.getElementById('message'); return m.classList.contains('ok') && m.textContent"), 20000);
    check(msg === "Connected to " + serverUrl + ".", "pairing approved after polling: " + msg);
    const pollReqs = seen.filter((r) => r.path === "/api/v1/extension/pairings/pr1/token");
    check(pollReqs.length === 3 && pollReqs.every((r) => r.body.secret === "sec-1" && !r.auth), "polled 3 times with the secret, no token");
    const start = seen.find((r) => r.path === "/api/v1/extension/pairings");
    check(typeof start.body.browser === "string" && /Chrom/.test(start.body.browser), "pairing names the browser: " + start.body.browser);
    const handles = await wd("GET", S + "/window/handles");
    check(handles.length === 2, "approval page opened in a tab");
    await wd("POST", S + "/window", { handle: optionsHandle });

    // 6. Sign in with email, password and 2FA code.
    await click("#disconnect");
    await waitFor("disconnected", () => js("return document.getElementById('status').classList.contains('hidden')"));
    await type("#email", "ana@example.test");
    await type("#password", "pw");
    await click("#login-btn");
    const totpMsg = await waitFor("2FA asked", () => js("const m = document.getElementById('message'); return m.classList.contains('error') && m.textContent"));
    check(/two-factor/.test(totpMsg) && await js("return document.activeElement.id === 'totp'"), "2FA code asked for: " + totpMsg);
    await type("#password", "pw");
    await type("#totp", "654 321");
    await click("#login-btn");
    await waitFor("signed in", () => js("const m = document.getElementById('message'); return m.classList.contains('ok') && m.textContent"));
    check(await js("return document.getElementById('password').value === ''"), "password field cleared after connecting");
    await go(appUrl + "/login");
    await waitFor("candidates with the new token", () => seen.some((r) => r.auth === "Bearer " + TOKEN3));
    check(true, "requests now carry the token from signing in");

    // 7. "Sign in" as the popup does it: background → the tab's content script.
    const before = seen.filter((r) => r.path === "/api/v1/autofill").length;
    const loginTab = (await wd("POST", S + "/window/new", { type: "tab" })).handle;
    await wd("POST", S + "/window", { handle: loginTab });
    await go(appUrl + "/login");
    await waitFor("login page ready", () => js("return document.querySelectorAll('orthrus-ui').length === 1"));
    await wd("POST", S + "/window", { handle: optionsHandle });
    await go(extOrigin + "/options/options.html");
    const reply = await wd("POST", S + "/execute/async", {
      script: `const done = arguments[arguments.length - 1];
        chrome.tabs.query({ url: arguments[0] + "/login" }).then((tabs) =>
          chrome.runtime.sendMessage({ type: "signin", tabId: tabs[0].id, account_id: "acc-1" })).then(done, (e) => done(String(e)));`,
      args: [appUrl],
    });
    check(reply && reply.ok === true, "popup-style sign in answered ok: " + JSON.stringify(reply));
    await wd("POST", S + "/window", { handle: loginTab });
    await waitFor("signed in from the popup path", () => js("return location.pathname === '/done'"), 15000);
    check(seen.filter((r) => r.path === "/api/v1/autofill").length === before + 2, "credentials and code requested once each");

    // 8. A revoked token: the popup path says to reconnect, and the token is dropped.
    revoked = true;
    await wd("POST", S + "/window", { handle: optionsHandle });
    const st = await wd("POST", S + "/execute/async", {
      script: `const done = arguments[arguments.length - 1];
        chrome.runtime.sendMessage({ type: "candidates", url: arguments[0] + "/other" })
          .then((r) => chrome.runtime.sendMessage({ type: "status" }).then((s) => done({ r, s })));`,
      args: [appUrl.replace("localhost", "127.0.0.1")], // another origin: not in the candidates cache
    });
    check(st.r.ok === false && st.r.error.action === "reconnect", "a 401 says reconnect: " + (st.r.error && st.r.error.message));
    check(st.s.connected === false, "after a 401 the token is forgotten");

    console.log("origin header on POSTs:", [...new Set(seen.filter((r) => r.method === "POST").map((r) => r.origin))].join(", "),
      "| sec-fetch-site:", [...new Set(seen.map((r) => r.site))].join(", "));
    check(seen.every((r) => !r.cookie), "no cookies sent to the server");
  } finally {
    await wd("DELETE", S).catch(() => {});
    driver.kill();
    server.close();
    app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => console.log("smoke: all ok"), (e) => {
  console.error(e.message);
  process.exitCode = 1;
});
