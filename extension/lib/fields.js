/* Orthrus: finding login fields on a page, without touching the real DOM API
 * beyond a small element interface (tagName, getAttribute, type, value,
 * children, parentNode, shadowRoot, ownerDocument, contentDocument, form,
 * labels, textContent, isConnected, click, focus, dispatchEvent).
 *
 * Whether an element is shown is asked of a `probe(el)` function given by
 * the caller; it answers `false` or a record
 *   {display, visibility, opacity, x, y, width, height, viewWidth, clipped, shown}
 * (document coordinates, CSS pixels). The rules that turn that record into
 * "usable or not" live here so they can be tested.
 *
 * Classic script and CommonJS module at once: in a page it defines
 * `globalThis.OrthrusFields`; under Node it is also `module.exports`.
 */
(function (root, factory) {
  "use strict";
  const api = factory();
  if (typeof module === "object" && module && module.exports) module.exports = api;
  root.OrthrusFields = api;
})(typeof globalThis !== "undefined" ? globalThis : this, function () {
  "use strict";

  const ELEMENT = 1;
  const DOCUMENT = 9;
  const FRAGMENT = 11;
  const MAX_ELEMENTS = 20000;

  const INPUT_TYPES = new Set([
    "text", "email", "tel", "url", "password", "number", "search", "hidden",
    "checkbox", "radio", "submit", "button", "image", "reset", "file",
    "date", "datetime-local", "month", "week", "time", "color", "range",
  ]);

  function tagOf(el) {
    return el && el.tagName ? String(el.tagName).toUpperCase() : "";
  }

  function attr(el, name) {
    if (!el || typeof el.getAttribute !== "function") return "";
    const v = el.getAttribute(name);
    return v == null ? "" : String(v);
  }

  function hasAttr(el, name) {
    if (!el || typeof el.getAttribute !== "function") return false;
    return el.getAttribute(name) != null;
  }

  /** The input's type as the browser understands it ("text" when unknown). */
  function inputType(el) {
    const tag = tagOf(el);
    if (tag !== "INPUT") return tag.toLowerCase();
    const t = (attr(el, "type") || "text").trim().toLowerCase();
    return INPUT_TYPES.has(t) ? t : "text";
  }

  /** Lower case, accents removed, camelCase and separators split into words. */
  function normalize(text) {
    return String(text || "")
      .replace(/([a-z])([A-Z])/g, "$1 $2")
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/ß/g, "ss")
      .replace(/[^a-z0-9]+/g, " ")
      .trim();
  }

  /** Does normalized `text` contain `phrase` (normalized) as whole words? */
  function hasPhrase(text, phrase) {
    return (" " + text + " ").indexOf(" " + phrase + " ") !== -1;
  }

  function hasAnyPhrase(text, phrases) {
    for (const p of phrases) if (hasPhrase(text, p)) return true;
    return false;
  }

  function childrenOf(node) {
    if (!node || !node.children) return [];
    return Array.prototype.slice.call(node.children);
  }

  /** Parent element, crossing open shadow-root boundaries (not frames). */
  function parentOf(el) {
    const p = el && el.parentNode;
    if (!p) return null;
    if (p.nodeType === FRAGMENT) return p.host || null;
    if (p.nodeType === DOCUMENT) return null;
    return p;
  }

  /** The document or shadow root holding `el`. */
  function rootOf(el) {
    let n = el;
    while (n && n.parentNode) n = n.parentNode;
    return n || null;
  }

  function ancestors(el) {
    const out = [];
    let p = parentOf(el);
    while (p) {
      out.push(p);
      p = parentOf(p);
    }
    return out;
  }

  function closestTag(el, tag) {
    let n = el;
    while (n) {
      if (tagOf(n) === tag) return n;
      n = parentOf(n);
    }
    return null;
  }

  /** Is `el` inside `container` (crossing open shadow roots, not frames)? */
  function contains(container, el) {
    let n = el;
    while (n) {
      if (n === container) return true;
      const p = n.parentNode;
      if (!p) return false;
      if (p === container) return true;
      n = p.nodeType === FRAGMENT ? p.host || null : p;
    }
    return false;
  }

  /**
   * Every element under `root` in document order, going into open shadow
   * roots and same-origin frames (cross-origin frames throw or give null
   * and are skipped).
   */
  function allElements(root) {
    const out = [];
    if (!root) return out;
    const stack = [];
    if (root.nodeType === DOCUMENT) stack.push(root.documentElement);
    else if (root.nodeType === FRAGMENT) {
      const kids = childrenOf(root);
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
    } else stack.push(root);
    while (stack.length && out.length < MAX_ELEMENTS) {
      const el = stack.pop();
      if (!el || el.nodeType !== ELEMENT) continue;
      out.push(el);
      const next = [];
      if (el.shadowRoot) next.push(...childrenOf(el.shadowRoot));
      const tag = tagOf(el);
      if (tag === "IFRAME" || tag === "FRAME") {
        let d = null;
        try {
          d = el.contentDocument;
        } catch (_) {
          d = null;
        }
        if (d && d.documentElement) next.push(d.documentElement);
      }
      next.push(...childrenOf(el));
      for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]);
    }
    return out;
  }

  /** Text content, whitespace collapsed, at most `max` characters. */
  function textOf(el, max) {
    const t = el && el.textContent != null ? String(el.textContent) : "";
    return t.replace(/\s+/g, " ").trim().slice(0, max || 200);
  }

  function findById(el, id) {
    if (!id) return null;
    const root = rootOf(el);
    if (root && typeof root.getElementById === "function") {
      const found = root.getElementById(id);
      if (found) return found;
    }
    for (const e of allElements(root && root.nodeType ? root : el)) {
      if (attr(e, "id") === id) return e;
    }
    return null;
  }

  /** The text of the labels that name `el`. */
  function labelText(el) {
    const parts = [];
    if (el.labels && typeof el.labels.length === "number") {
      for (const l of Array.prototype.slice.call(el.labels)) parts.push(textOf(l, 120));
    } else {
      const wrap = closestTag(el, "LABEL");
      if (wrap) parts.push(textOf(wrap, 120));
      const id = attr(el, "id");
      if (id) {
        for (const e of allElements(rootOf(el))) {
          if (tagOf(e) === "LABEL" && attr(e, "for") === id && e !== wrap) parts.push(textOf(e, 120));
        }
      }
    }
    const by = attr(el, "aria-labelledby");
    if (by) {
      for (const id of by.split(/\s+/)) {
        const ref = findById(el, id);
        if (ref) parts.push(textOf(ref, 120));
      }
    }
    return parts.join(" ");
  }

  /** Everything that names a field, normalized: id, name, placeholder, labels… */
  function fieldText(el) {
    return normalize([
      attr(el, "id"), attr(el, "name"), attr(el, "placeholder"), attr(el, "aria-label"),
      attr(el, "title"), attr(el, "autocomplete"), attr(el, "data-testid"), labelText(el),
    ].join(" "));
  }

  /** Words and names that mark a trap field nobody should fill. */
  const HONEYPOT_RE = /(^| )(honey ?pot\w*|hpot|hp|bot ?trap|spam ?trap|leave (this )?(field )?(blank|empty)|do not fill( this)?|dont fill|no rellenar|nao preencher|ne pas remplir|nicht ausfullen|non compilare)( |$)/;

  function looksLikeHoneypot(el) {
    const own = normalize([attr(el, "name"), attr(el, "id"), attr(el, "class")].join(" "));
    if (HONEYPOT_RE.test(own)) return true;
    const said = normalize([attr(el, "aria-label"), attr(el, "placeholder"), labelText(el)].join(" "));
    return /leave (this )?(field )?(blank|empty)|do not fill|dont fill/.test(said);
  }

  /**
   * Why `el` must not be filled (a short reason), or null when it may be:
   * hidden inputs, disabled or read-only ones, honeypots, aria-hidden or
   * `hidden` subtrees, and what the probe says is not shown (display:none,
   * visibility hidden, transparent, zero size, off-screen, clipped, or
   * tabindex=-1 on a barely shown field).
   */
  function hiddenReason(el, probe) {
    if (!el || el.nodeType !== ELEMENT) return "not-element";
    const tag = tagOf(el);
    if (tag === "INPUT" && inputType(el) === "hidden") return "type-hidden";
    if (el.disabled === true || hasAttr(el, "disabled")) return "disabled";
    if ((tag === "INPUT" || tag === "TEXTAREA") && (el.readOnly === true || hasAttr(el, "readonly"))) return "readonly";
    if ((tag === "INPUT" || tag === "TEXTAREA") && looksLikeHoneypot(el)) return "honeypot";
    for (const a of [el].concat(ancestors(el))) {
      if (attr(a, "aria-hidden").toLowerCase() === "true") return "aria-hidden";
      if (hasAttr(a, "hidden")) return "hidden-attribute";
      if (hasAttr(a, "inert")) return "inert";
    }
    if (typeof probe !== "function") return null;
    const p = probe(el);
    if (p === false || p == null) return "not-shown";
    if (p === true) return null;
    if (p.shown === false) return "not-shown";
    if (p.display === "none") return "display-none";
    if (p.visibility === "hidden" || p.visibility === "collapse") return "visibility-hidden";
    const opacity = p.opacity == null ? 1 : Number(p.opacity);
    if (opacity < 0.1) return "transparent";
    const w = Number(p.width) || 0;
    const h = Number(p.height) || 0;
    if (w < 2 || h < 2) return "zero-size";
    const x = Number(p.x) || 0;
    const y = Number(p.y) || 0;
    if (x + w <= 0 || y + h <= 0) return "off-screen";
    if (p.viewWidth && x >= Number(p.viewWidth)) return "off-screen";
    if (p.clipped) return "clipped";
    if (attr(el, "tabindex").trim() === "-1" && (opacity < 0.5 || w <= 10 || h <= 10)) return "tabindex-hidden";
    return null;
  }

  function isUsable(el, probe) {
    return hiddenReason(el, probe) === null;
  }

  // --- words -------------------------------------------------------------

  const SEARCH_WORDS = [
    "search", "query", "q", "s", "keyword", "keywords", "buscar", "busca", "busqueda", "pesquisar",
    "pesquisa", "rechercher", "recherche", "suche", "suchen", "suchbegriff", "cerca", "ricerca", "cerca nel sito",
  ];
  const USER_WORDS = [
    "username", "user name", "user", "userid", "user id", "login", "log in", "login id", "email",
    "e mail", "mail", "email address", "account", "account name", "phone", "phone number", "mobile",
    "handle", "identifier", "id", "usuario", "nombre de usuario", "correo", "correo electronico",
    "telefono", "celular", "email ou telefone", "nome de usuario", "utilisateur", "nom d utilisateur",
    "identifiant", "courriel", "adresse e mail", "benutzer", "benutzername", "anmeldename",
    "e mail adresse", "nome utente", "utente", "indirizzo email", "cellulare",
  ];
  const CODE_HINTS = [
    "otp", "one time code", "one time", "2fa", "mfa", "totp", "verification", "verification code",
    "security code", "code", "codigo", "code de verification", "sicherheitscode", "codice", "pin",
  ];
  const NOT_USERNAME = [
    "coupon", "promo", "voucher", "postal", "zip", "postcode", "captcha", "gift", "bank",
    "first name", "last name", "given name", "family name", "address", "city", "company",
  ];
  const LOGIN_WORDS = [
    "log in", "login", "log on", "sign in", "signin", "sign on", "continue", "next", "submit",
    "iniciar sesion", "inicia sesion", "ingresar", "entrar", "acceder", "siguiente", "continuar",
    "acessar", "proximo", "avancar", "connexion", "se connecter", "connecter", "suivant", "continuer",
    "anmelden", "einloggen", "weiter", "fortfahren", "accedi", "entra", "avanti", "continua",
  ];
  const SIGNUP_WORDS = [
    "sign up", "signup", "register", "registration", "create account", "create an account", "join",
    "registrarse", "registrate", "crear cuenta", "cadastre se", "cadastrar", "criar conta",
    "inscription", "s inscrire", "creer un compte", "registrieren", "konto erstellen", "registrati",
    "crea account", "confirm password", "repeat password", "new password",
  ];
  const NEWSLETTER_WORDS = [
    "newsletter", "subscribe", "subscription", "suscribete", "suscribirse", "boletin", "assinar",
    "inscreva se", "abonner", "s abonner", "abonnieren", "iscriviti", "updates", "mailing list",
  ];
  const RESET_WORDS = [
    "forgot", "forgotten", "reset", "recover", "recovery", "restablecer", "recuperar", "olvidaste",
    "esqueceu", "redefinir", "oublie", "reinitialiser", "vergessen", "zurucksetzen", "wiederherstellen",
    "dimenticato", "reimposta", "recupera",
  ];
  const NOT_SUBMIT_WORDS = [
    "forgot", "reset", "show", "hide", "mostrar", "ocultar", "afficher", "masquer", "anzeigen",
    "mostra", "nascondi", "vergessen", "oublie", "olvidaste", "esqueceu", "dimenticato",
    "google", "facebook", "apple", "microsoft", "github", "twitter", "linkedin", "passkey", "sso",
    "cancel", "cancelar", "annuler", "abbrechen", "annulla", "back", "volver", "voltar", "retour", "zuruck", "indietro",
  ];

  function isSearchField(el) {
    if (inputType(el) === "search") return true;
    if (attr(el, "role").toLowerCase() === "searchbox") return true;
    const form = formOf(el);
    if (form && attr(form, "role").toLowerCase() === "search") return true;
    if (ancestors(el).some((a) => tagOf(a) === "SEARCH")) return true;
    return hasAnyPhrase(fieldText(el), SEARCH_WORDS);
  }

  /** How much `el` looks like the username/email field (0: not at all). */
  function usernameScore(el) {
    if (tagOf(el) !== "INPUT") return 0;
    const type = inputType(el);
    if (type !== "text" && type !== "email" && type !== "tel") return 0;
    const ac = attr(el, "autocomplete").toLowerCase();
    if (ac.indexOf("one-time-code") !== -1) return 0;
    if (ac.indexOf("username") !== -1) return 100;
    if (isSearchField(el)) return 0;
    const text = fieldText(el);
    if (hasAnyPhrase(text, NOT_USERNAME)) return 0;
    if (hasAnyPhrase(text, CODE_HINTS) && !hasAnyPhrase(text, ["email", "username", "user", "login"])) return 0;
    let score = 1;
    if (/(^| )email( |$)/.test(ac)) score += 60;
    else if (/(^| )tel( |$)/.test(ac)) score += 20;
    if (type === "email") score += 40;
    if (hasAnyPhrase(text, USER_WORDS)) score += 30;
    if (type === "tel") score += 5;
    return score;
  }

  function formOf(el) {
    if (el && el.form && el.form.nodeType === ELEMENT) return el.form;
    return closestTag(el, "FORM");
  }

  /** What groups fields together: their form, or else their document/shadow root. */
  function groupContainer(el) {
    return formOf(el) || rootOf(el);
  }

  /** Text describing a container: its attributes, headings and buttons. */
  function containerText(container, max) {
    const bits = [];
    if (container && container.nodeType === ELEMENT) {
      bits.push(attr(container, "id"), attr(container, "name"), attr(container, "class"),
        attr(container, "action"), attr(container, "aria-label"));
    }
    for (const e of allElements(container)) {
      const tag = tagOf(e);
      if (tag === "BUTTON" || tag === "H1" || tag === "H2" || tag === "H3" || tag === "LEGEND" || attr(e, "role") === "button") {
        bits.push(textOf(e, 80));
      } else if (tag === "INPUT" && (inputType(e) === "submit" || inputType(e) === "button")) {
        bits.push(attr(e, "value"));
      }
      if (bits.length > 60) break;
    }
    return normalize(bits.join(" ")).slice(0, max || 2000);
  }

  /**
   * What names a form itself (its attributes and headings, not its
   * buttons): for formless fields, the attributes of the field's nearest
   * few ancestors.
   */
  function titleText(container, field) {
    const bits = [];
    const els = container && container.nodeType === ELEMENT ? [container] : ancestors(field).slice(0, 3);
    for (const c of els) {
      bits.push(attr(c, "id"), attr(c, "name"), attr(c, "class"), attr(c, "action"), attr(c, "aria-label"));
      for (const e of allElements(c)) {
        const tag = tagOf(e);
        if (tag === "H1" || tag === "H2" || tag === "H3" || tag === "LEGEND") bits.push(textOf(e, 80));
      }
    }
    return normalize(bits.join(" "));
  }

  /**
   * The username field among the inputs before the password field: in a
   * form, the best named one, a little less the further it is; without a
   * form, the nearest one (a newsletter box elsewhere on the page may be
   * better named but is not the login's). autocomplete=username wins.
   */
  function pickUsername(before, inForm) {
    const scored = before.map((e) => ({ e, s: usernameScore(e) })).filter((c) => c.s > 0);
    if (!scored.length) return null;
    const marked = scored.filter((c) => c.s >= 100);
    if (marked.length) return marked[marked.length - 1].e;
    if (!inForm) return scored[scored.length - 1].e;
    let best = null;
    let bestValue = -Infinity;
    scored.forEach((c, i) => {
      const value = c.s - 10 * (scored.length - 1 - i);
      if (value >= bestValue) {
        best = c.e;
        bestValue = value;
      }
    });
    return best;
  }

  function buttonText(el) {
    const tag = tagOf(el);
    const own = tag === "INPUT" ? attr(el, "value") : textOf(el, 80);
    return normalize([own, attr(el, "aria-label"), attr(el, "title"), attr(el, "id"), attr(el, "name")].join(" "));
  }

  function isModal(el) {
    const tag = tagOf(el);
    const role = attr(el, "role").toLowerCase();
    return (tag === "DIALOG" && hasAttr(el, "open")) || role === "dialog" || role === "alertdialog" ||
      attr(el, "aria-modal").toLowerCase() === "true";
  }

  /** The innermost open modal around `el`, or null. */
  function modalOf(el) {
    for (const a of ancestors(el)) if (isModal(a)) return a;
    return null;
  }

  function activeElementOf(root) {
    let doc = root && root.nodeType === DOCUMENT ? root : root && root.ownerDocument;
    let a = doc ? doc.activeElement : null;
    // Follow focus into open shadow roots and same-origin frames.
    for (let i = 0; a && i < 10; i++) {
      let inner = null;
      if (a.shadowRoot && a.shadowRoot.activeElement) inner = a.shadowRoot.activeElement;
      else if (tagOf(a) === "IFRAME") {
        try {
          inner = a.contentDocument && a.contentDocument.activeElement;
        } catch (_) {
          inner = null;
        }
      }
      if (!inner || inner === a) break;
      a = inner;
    }
    return a || null;
  }

  /**
   * The submit control for a group: a submit button (or a button whose text
   * says log in / next / continue / verify), visible; for fields without a
   * form, the first such button after `anchor` in the same root.
   * `extraWords` lets the code step add its own verbs.
   */
  function findSubmit(anchor, probe, extraWords) {
    const words = LOGIN_WORDS.concat(extraWords || []);
    const form = formOf(anchor);
    const scope = form || rootOf(anchor);
    const els = allElements(scope);
    const start = form ? 0 : els.indexOf(anchor) + 1;
    let best = null;
    let bestScore = 0;
    for (let i = Math.max(start, 0); i < els.length; i++) {
      const e = els[i];
      const tag = tagOf(e);
      const role = attr(e, "role").toLowerCase();
      let isButton = false;
      let isSubmit = false;
      if (tag === "BUTTON") {
        isButton = true;
        const t = (attr(e, "type") || "submit").toLowerCase();
        isSubmit = t === "submit" && !!form;
        if (t === "reset") continue;
      } else if (tag === "INPUT") {
        const t = inputType(e);
        if (t === "submit" || t === "image") {
          isButton = true;
          isSubmit = !!form;
        } else if (t === "button") isButton = true;
      } else if (role === "button" || (tag === "A" && role === "button")) {
        isButton = true;
      }
      if (!isButton) continue;
      if (!isUsable(e, probe)) continue;
      const text = buttonText(e);
      if (hasAnyPhrase(text, NOT_SUBMIT_WORDS)) continue;
      let score = 0;
      if (isSubmit) score += 30;
      if (hasAnyPhrase(text, words)) score += 30;
      if (hasAnyPhrase(text, SIGNUP_WORDS)) score -= 40;
      if (!form) score -= Math.min(i - start, 50) / 10; // nearer is better
      if (score > bestScore) {
        best = e;
        bestScore = score;
      }
    }
    return best;
  }

  /**
   * The login fields to fill on a page, or nothing:
   *   {stage: "full"|"username"|"password"|null, username, password, form, submit}
   * "full" is a form with both fields; "username" the first screen of a
   * two-step login; "password" the second one. Forms that look like sign-up,
   * change-password, newsletter or search forms are left alone; when a modal
   * is open, only the login form in the topmost modal is considered.
   */
  function findLoginFields(root, opts) {
    const probe = opts && opts.probe;
    const none = { stage: null, username: null, password: null, form: null, submit: null };
    const els = allElements(root);
    const inputs = els.filter((e) => tagOf(e) === "INPUT" && isUsable(e, probe));
    const groups = new Map();
    for (const e of inputs) {
      const c = groupContainer(e);
      if (!groups.has(c)) groups.set(c, []);
      groups.get(c).push(e);
    }
    const active = activeElementOf(root);
    const order = (e) => els.indexOf(e);

    // Modals: when a visible one holds a password field, only it counts.
    const modals = [];
    for (const e of inputs) {
      const m = modalOf(e);
      if (m && modals.indexOf(m) === -1) modals.push(m);
    }
    let onlyIn = null;
    if (modals.length) {
      const withActive = modals.filter((m) => active && contains(m, active));
      const withPassword = modals.filter((m) => inputs.some((e) => inputType(e) === "password" && contains(m, e)));
      const pick = withActive.filter((m) => withPassword.indexOf(m) !== -1);
      if (pick.length) onlyIn = pick[pick.length - 1];
      else if (withPassword.length) onlyIn = withPassword.sort((a, b) => order(a) - order(b))[withPassword.length - 1];
    }

    const candidates = [];
    for (const [container, fields] of groups) {
      const inScope = onlyIn ? fields.filter((e) => contains(onlyIn, e)) : fields;
      if (!inScope.length) continue;
      const passwords = inScope.filter((e) => inputType(e) === "password");
      const text = containerText(container);
      const signup = hasAnyPhrase(text, SIGNUP_WORDS) && !hasAnyPhrase(text, ["sign in", "log in", "login"]);
      if (passwords.length) {
        const newPw = passwords.some((p) => /new-password/.test(attr(p, "autocomplete").toLowerCase()));
        if (passwords.length > 1 || newPw) continue; // sign-up or change-password form
        const password = passwords[0];
        const before = inScope.filter((e) => order(e) < order(password));
        const username = pickUsername(before, tagOf(container) === "FORM");
        let score = 50;
        if (signup) score -= 40;
        if (hasAnyPhrase(text, LOGIN_WORDS)) score += 10;
        if (active && (contains(container, active) || active === password || active === username)) score += 30;
        if (/current-password/.test(attr(password, "autocomplete").toLowerCase())) score += 10;
        candidates.push({ score, container, username, password });
      } else {
        let username = null;
        let best = 0;
        for (const e of inScope) {
          const s = usernameScore(e);
          if (s > best) {
            username = e;
            best = s;
          }
        }
        if (!username) continue;
        const strong = /username/.test(attr(username, "autocomplete").toLowerCase());
        const loginish = hasAnyPhrase(text, LOGIN_WORDS);
        const newsletter = hasAnyPhrase(text, NEWSLETTER_WORDS);
        if (newsletter || signup) continue;
        if (!strong && !(best >= 30 && loginish)) continue;
        // A text input beside it that is not ours (a message, a name…) means
        // this is some other kind of form.
        const others = inScope.filter((e) => e !== username && ["text", "email", "tel"].indexOf(inputType(e)) !== -1 &&
          !isSearchField(e));
        if (others.length && !strong) continue;
        // "Forgot your password? Enter your email" is not a login step.
        if (hasAnyPhrase(titleText(container, username), RESET_WORDS)) continue;
        candidates.push({ score: strong ? 20 : 10, container, username, password: null });
      }
    }
    if (!candidates.length) return none;
    candidates.sort((a, b) => b.score - a.score || (b.password ? 1 : 0) - (a.password ? 1 : 0));
    const c = candidates[0];
    if (c.score <= 0) return none;
    const stage = c.username && c.password ? "full" : c.password ? "password" : "username";
    const anchor = c.password || c.username;
    const form = c.container && tagOf(c.container) === "FORM" ? c.container : null;
    return { stage, username: c.username, password: c.password, form, submit: findSubmit(anchor, probe) };
  }

  // --- filling -----------------------------------------------------------

  function viewOf(el) {
    const doc = el && el.ownerDocument;
    return (doc && doc.defaultView) || null;
  }

  /** The value setter of the element's own class prototype (not the instance's). */
  function nativeValueSetter(el) {
    const view = viewOf(el);
    const tag = tagOf(el);
    const cls = tag === "TEXTAREA" ? "HTMLTextAreaElement" : "HTMLInputElement";
    if (view && view[cls] && view[cls].prototype) {
      const d = Object.getOwnPropertyDescriptor(view[cls].prototype, "value");
      if (d && typeof d.set === "function") return d.set;
    }
    let proto = Object.getPrototypeOf(el);
    while (proto && proto !== Object.prototype) {
      const d = Object.getOwnPropertyDescriptor(proto, "value");
      if (d && typeof d.set === "function") return d.set;
      proto = Object.getPrototypeOf(proto);
    }
    return null;
  }

  function makeEvent(el, type) {
    const view = viewOf(el);
    const Ev = (view && view.Event) || (typeof Event === "function" ? Event : null);
    if (!Ev) return { type, bubbles: true };
    return new Ev(type, { bubbles: true, cancelable: false, composed: true });
  }

  /**
   * Put `value` in a field the way typing would be seen by frameworks that
   * wrap the value property (React and co.): focus, call the prototype's
   * native setter, then dispatch bubbling `input` and `change` events.
   */
  function setValue(el, value) {
    if (typeof el.focus === "function") {
      try {
        el.focus({ preventScroll: true });
      } catch (_) { /* focus is a nicety */ }
    }
    const setter = nativeValueSetter(el);
    if (setter) setter.call(el, value);
    else el.value = value;
    if (typeof el.dispatchEvent === "function") {
      el.dispatchEvent(makeEvent(el, "input"));
      el.dispatchEvent(makeEvent(el, "change"));
    }
  }

  /** Submit a found form: click its button, else requestSubmit(); false if neither. */
  function submit(found) {
    if (!found) return false;
    if (found.submit && typeof found.submit.click === "function" && found.submit.isConnected !== false) {
      found.submit.click();
      return true;
    }
    if (found.form && typeof found.form.requestSubmit === "function") {
      found.form.requestSubmit();
      return true;
    }
    return false;
  }

  return {
    ELEMENT, DOCUMENT, FRAGMENT,
    tagOf, attr, hasAttr, inputType, normalize, hasPhrase, hasAnyPhrase,
    parentOf, rootOf, ancestors, closestTag, contains, allElements, textOf, labelText, fieldText,
    looksLikeHoneypot, hiddenReason, isUsable, isSearchField, usernameScore, formOf, groupContainer,
    containerText, titleText, pickUsername, buttonText, isModal, modalOf, activeElementOf, findSubmit, findLoginFields,
    nativeValueSetter, setValue, submit,
    words: { SEARCH_WORDS, USER_WORDS, LOGIN_WORDS, SIGNUP_WORDS, NEWSLETTER_WORDS, RESET_WORDS, NOT_SUBMIT_WORDS },
  };
});
