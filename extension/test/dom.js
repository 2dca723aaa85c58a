/* A tiny fake DOM for the tests: just the element interface lib/*.js use.
 *
 *   const { h, page, shadow, frame, fakeProbe } = require("./dom.js");
 *   const doc = page(h("form", {}, h("input", {type: "password"})));
 *
 * Attributes are strings; `style` ({display, visibility, opacity, clipped})
 * and `rect` ({x, y, width, height}) feed `fakeProbe`, which answers like
 * the browser would (display:none anywhere above gives a zero box).
 */
"use strict";

class FakeText {
  constructor(text) {
    this.nodeType = 3;
    this.data = String(text);
    this.parentNode = null;
  }
  get textContent() {
    return this.data;
  }
}

class FakeElement {
  constructor(tag) {
    this.nodeType = 1;
    this.tagName = tag.toUpperCase();
    this._attrs = new Map();
    this.children = [];
    this.childNodes = [];
    this.parentNode = null;
    this.ownerDocument = null;
    this.shadowRoot = null;
    this.style = {};
    this.rect = null;
    this.events = [];
    this.clicks = 0;
  }
  getAttribute(name) {
    const n = String(name).toLowerCase();
    return this._attrs.has(n) ? this._attrs.get(n) : null;
  }
  setAttribute(name, value) {
    this._attrs.set(String(name).toLowerCase(), String(value));
  }
  removeAttribute(name) {
    this._attrs.delete(String(name).toLowerCase());
  }
  appendChild(child) {
    if (child.parentNode) child.parentNode.removeChild(child);
    child.parentNode = this;
    this.childNodes.push(child);
    if (child.nodeType === 1) this.children.push(child);
    if (this.ownerDocument) adopt(child, this.ownerDocument);
    return child;
  }
  removeChild(child) {
    this.childNodes = this.childNodes.filter((c) => c !== child);
    this.children = this.children.filter((c) => c !== child);
    child.parentNode = null;
    return child;
  }
  replaceWith(other) {
    const p = this.parentNode;
    const i = p.childNodes.indexOf(this);
    const j = p.children.indexOf(this);
    p.childNodes[i] = other;
    p.children[j] = other;
    other.parentNode = p;
    this.parentNode = null;
    adopt(other, p.ownerDocument || p.host.ownerDocument);
  }
  get textContent() {
    return this.childNodes.map((c) => c.textContent).join("");
  }
  get id() {
    return this.getAttribute("id") || "";
  }
  get isConnected() {
    let n = this;
    while (n) {
      if (n.nodeType === 9) return true;
      n = n.nodeType === 11 ? n.host : n.parentNode;
    }
    return false;
  }
  get form() {
    let n = this.parentNode;
    while (n && n.nodeType === 1) {
      if (n.tagName === "FORM") return n;
      n = n.parentNode;
    }
    return null;
  }
  get disabled() {
    return this.getAttribute("disabled") != null;
  }
  focus() {
    if (this.ownerDocument) this.ownerDocument.activeElement = this;
    this.events.push({ type: "focus" });
  }
  click() {
    this.clicks++;
    const form = this.form;
    const type = (this.getAttribute("type") || (this.tagName === "BUTTON" ? "submit" : "")).toLowerCase();
    if (form && (type === "submit" || type === "image") && (this.tagName === "BUTTON" || this.tagName === "INPUT")) {
      form.submitted++;
    }
  }
  dispatchEvent(ev) {
    this.events.push({ type: ev.type, bubbles: !!ev.bubbles });
    const listeners = (this._listeners && this._listeners[ev.type]) || [];
    for (const l of listeners) l.call(this, ev);
    return true;
  }
  addEventListener(type, fn) {
    this._listeners = this._listeners || {};
    (this._listeners[type] = this._listeners[type] || []).push(fn);
  }
}

/** The "native" value property lives on the prototype, like HTMLInputElement's. */
class FakeInput extends FakeElement {
  constructor() {
    super("input");
    this.protoSets = [];
  }
  get value() {
    return this._value !== undefined ? this._value : this.getAttribute("value") || "";
  }
  set value(v) {
    this.protoSets.push(String(v));
    this._value = String(v);
  }
  get type() {
    return (this.getAttribute("type") || "text").toLowerCase();
  }
}

class FakeForm extends FakeElement {
  constructor() {
    super("form");
    this.submitted = 0;
  }
  requestSubmit() {
    this.submitted++;
  }
}

class FakeShadowRoot {
  constructor(host) {
    this.nodeType = 11;
    this.host = host;
    this.mode = "open";
    this.children = [];
    this.childNodes = [];
    this.parentNode = null;
    this.activeElement = null;
  }
  appendChild(child) {
    return FakeElement.prototype.appendChild.call(this, child);
  }
  removeChild(child) {
    return FakeElement.prototype.removeChild.call(this, child);
  }
  get textContent() {
    return this.childNodes.map((c) => c.textContent).join("");
  }
}

class FakeDocument {
  constructor() {
    this.nodeType = 9;
    this.parentNode = null;
    this.activeElement = null;
    this.defaultView = { HTMLInputElement: FakeInput, Event: globalThis.Event };
    this.documentElement = null;
    this.body = null;
  }
  get children() {
    return this.documentElement ? [this.documentElement] : [];
  }
  getElementById(id) {
    const stack = this.documentElement ? [this.documentElement] : [];
    while (stack.length) {
      const e = stack.pop();
      if (e.getAttribute("id") === id) return e;
      stack.push(...e.children);
    }
    return null;
  }
}

function adopt(node, doc) {
  node.ownerDocument = doc;
  if (node.children) for (const c of node.children) adopt(c, doc);
  if (node.shadowRoot) {
    node.shadowRoot.ownerDocument = doc;
    for (const c of node.shadowRoot.children) adopt(c, doc);
  }
}

/**
 * h("input", {type: "text", name: "q", style: {...}, rect: {...}}, ...children)
 * Children: elements or strings (text). Special attributes: style, rect,
 * shadow (array of children for an open shadow root), contentDocument.
 */
function h(tag, attrs, ...kids) {
  const t = tag.toLowerCase();
  const el = t === "input" ? new FakeInput() : t === "form" ? new FakeForm() : new FakeElement(t);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "style") el.style = v;
    else if (k === "rect") el.rect = v;
    else if (k === "shadow") shadow(el, ...v);
    else if (k === "contentDocument") {
      el.contentDocument = v;
      if (v) v.defaultView.frameElement = el;
    } else if (v !== false && v != null) el.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids.flat()) {
    if (k == null || k === false) continue;
    el.appendChild(typeof k === "string" ? new FakeText(k) : k);
  }
  return el;
}

/** Attach an open shadow root holding `kids` to `host`. */
function shadow(host, ...kids) {
  const root = new FakeShadowRoot(host);
  host.shadowRoot = root;
  for (const k of kids.flat()) root.appendChild(typeof k === "string" ? new FakeText(k) : k);
  if (host.ownerDocument) adopt(host, host.ownerDocument);
  return root;
}

/** A document whose <body> holds `kids`. */
function page(...kids) {
  const doc = new FakeDocument();
  const html = h("html", {}, h("head", {}), h("body", {}, ...kids));
  html.parentNode = doc;
  doc.documentElement = html;
  doc.body = html.children[1];
  adopt(html, doc);
  return doc;
}

/** An <iframe> element showing `doc` (same-origin). */
function frame(doc, attrs) {
  return h("iframe", Object.assign({ contentDocument: doc }, attrs || {}));
}

/** Parent across shadow roots, like the browser's flat tree for styles. */
function up(el) {
  const p = el.parentNode;
  if (!p) return null;
  if (p.nodeType === 11) return p.host;
  if (p.nodeType === 9) return p.defaultView && p.defaultView.frameElement ? p.defaultView.frameElement : null;
  return p;
}

/** What the browser would report for `el` (see fields.js hiddenReason). */
function fakeProbe(el) {
  const rect = Object.assign({ x: 40, y: 100, width: 200, height: 32 }, el.rect || {});
  let display = el.style.display || "inline-block";
  let visibility = null;
  let opacity = 1;
  for (let n = el; n; n = up(n)) {
    const s = n.style || {};
    if (s.display === "none") display = "none";
    if (visibility === null && s.visibility) visibility = s.visibility;
    if (s.opacity != null) opacity *= Number(s.opacity);
  }
  if (display === "none") {
    rect.width = 0;
    rect.height = 0;
  }
  return {
    display,
    visibility: visibility || "visible",
    opacity,
    x: rect.x,
    y: rect.y,
    width: rect.width,
    height: rect.height,
    viewWidth: 1280,
    clipped: !!el.style.clipped,
  };
}

module.exports = { h, page, shadow, frame, fakeProbe, FakeInput, FakeElement, FakeForm, FakeText };
