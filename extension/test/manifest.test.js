"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");

const dir = path.join(__dirname, "..");
const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));

function allFiles(d) {
  const out = [];
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) {
      if (e.name !== "test") out.push(...allFiles(p));
    } else out.push(p);
  }
  return out;
}

/** Every file path the manifest names. */
function referenced(m) {
  const files = [];
  files.push(m.background.service_worker, ...(m.background.scripts || []));
  files.push(m.action.default_popup, ...Object.values(m.action.default_icon || {}));
  files.push(m.options_ui.page, ...Object.values(m.icons));
  for (const cs of m.content_scripts) files.push(...(cs.js || []), ...(cs.css || []));
  for (const war of m.web_accessible_resources || []) files.push(...war.resources);
  return files;
}

test("manifest is MV3 with a service worker (and Firefox background scripts)", () => {
  assert.equal(manifest.manifest_version, 3);
  assert.equal(manifest.background.service_worker, "background.js");
  assert.deepEqual(manifest.background.scripts.slice(-1), ["background.js"]);
  assert.ok(manifest.browser_specific_settings.gecko.id);
});

test("only the permissions the code uses", () => {
  assert.deepEqual([...manifest.permissions].sort(), ["activeTab", "scripting", "storage"]);
  const code = allFiles(dir).filter((f) => f.endsWith(".js")).map((f) => fs.readFileSync(f, "utf8")).join("\n");
  assert.match(code, /\.storage\.(local|session)\./, "storage is used");
  assert.match(code, /\.scripting\.executeScript\(/, "scripting is used");
  assert.match(code, /\.tabs\.query\(\{ active: true/, "activeTab: the popup reads the active tab's URL");
  assert.deepEqual(manifest.host_permissions, ["<all_urls>"]);
  assert.equal(manifest.externally_connectable, undefined, "pages can't message the extension");
});

test("no remote code: strict CSP, no remote scripts, no eval", () => {
  const csp = manifest.content_security_policy.extension_pages;
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /https?:|unsafe-eval|unsafe-inline/);
  for (const f of allFiles(dir)) {
    const text = fs.readFileSync(f, "latin1");
    if (f.endsWith(".html")) {
      for (const m of text.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)) {
        assert.doesNotMatch(m[1], /^(https?:)?\/\//, f + " loads a remote script");
      }
      assert.doesNotMatch(text, /<script>(?!\s*<\/script>)/, f + " has an inline script");
    }
    if (f.endsWith(".js")) {
      assert.doesNotMatch(text, /\beval\(|new Function\(|importScripts\(["']https?:/, f);
    }
  }
});

test("every file the manifest names exists, and the pages' own files too", () => {
  for (const f of referenced(manifest)) {
    assert.ok(fs.existsSync(path.join(dir, f)), "missing " + f);
  }
  for (const page of [manifest.action.default_popup, manifest.options_ui.page]) {
    const html = fs.readFileSync(path.join(dir, page), "utf8");
    for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      assert.ok(fs.existsSync(path.join(dir, path.dirname(page), m[1])), page + " names missing " + m[1]);
    }
  }
  // What the background injects into tabs opened before install.
  const bg = fs.readFileSync(path.join(dir, "background.js"), "utf8");
  const injected = JSON.parse(bg.match(/CONTENT_FILES = (\[[^\]]*\])/)[1]);
  const declared = manifest.content_scripts.find((c) => c.js.includes("content/content.js")).js;
  assert.deepEqual(injected, declared, "injected files = declared content scripts, same order");
  for (const f of injected) assert.ok(fs.existsSync(path.join(dir, f)), f);
});

test("restrictions run at document_start; page modules load before the content script", () => {
  const [restrict, fill] = manifest.content_scripts;
  assert.equal(restrict.run_at, "document_start");
  assert.deepEqual(restrict.js, ["content/restrict.js"]);
  assert.deepEqual(fill.js.slice(0, 3), ["lib/fields.js", "lib/otp.js", "lib/page.js"]);
});

test("no IP addresses other than loopback anywhere in the extension", () => {
  const ip = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
  for (const f of allFiles(dir).concat(allFiles(path.join(dir, "test")))) {
    if (f.endsWith(".png")) continue;
    for (const m of fs.readFileSync(f, "utf8").matchAll(ip)) {
      assert.equal(m[0], "127.0.0.1", f + " has " + m[0]);
    }
  }
});
