/* Orthrus: finding and filling the one-time-code field of a login challenge.
 *
 * A code field is an input marked autocomplete="one-time-code", or one whose
 * id/name/placeholder/aria-label/label says "code", "verification code",
 * "código", "Sicherheitscode"… in English, Spanish, Portuguese, French,
 * German or Italian, and not "coupon", "zip", "captcha"… (the ignore list),
 * with a maxlength of 4 to 10 when it has one. One box per digit (4 to 10
 * adjacent inputs of maxlength 1) is found as a group. Right after a login
 * (`opts.expectCode`), an unnamed numeric field of maxlength 4 to 10 is
 * taken too when it is the page's only text field.
 *
 * Classic script and CommonJS module: defines `globalThis.OrthrusOtp`.
 * Needs lib/fields.js loaded first (globalThis.OrthrusFields) in a page.
 */
(function (root, factory) {
  "use strict";
  const F = typeof module === "object" && module && module.exports && typeof require === "function"
    ? require("./fields.js")
    : root.OrthrusFields;
  const api = factory(F);
  if (typeof module === "object" && module && module.exports) module.exports = api;
  root.OrthrusOtp = api;
})(typeof globalThis !== "undefined" ? globalThis : this, function (F) {
  "use strict";

  /** Phrases (normalized: lower case, no accents) that name a login code field. */
  const CODE_WORDS = {
    en: [
      "code", "one time code", "one time password", "one time passcode", "otp", "2fa", "two factor",
      "2 step", "two step", "mfa", "totp", "verification code", "verify code", "security code",
      "authentication code", "auth code", "login code", "sign in code", "confirmation code",
      "access code", "passcode", "authenticator", "token", "pin code",
    ],
    es: [
      "codigo", "codigo de verificacion", "codigo de seguridad", "codigo de acceso",
      "codigo de confirmacion", "codigo de inicio de sesion", "clave de un solo uso", "verificacion",
    ],
    pt: [
      "codigo", "codigo de verificacao", "codigo de seguranca", "codigo de confirmacao",
      "codigo de acesso", "codigo de autenticacao", "senha de uso unico", "verificacao",
    ],
    fr: [
      "code", "code de verification", "code de securite", "code de confirmation",
      "code a usage unique", "code d acces", "code d authentification", "mot de passe a usage unique",
    ],
    de: [
      "code", "sicherheitscode", "bestatigungscode", "bestaetigungscode", "verifizierungscode",
      "verifikationscode", "einmalcode", "einmalpasswort", "authentifizierungscode", "anmeldecode",
      "zugangscode",
    ],
    it: [
      "codice", "codice di verifica", "codice di sicurezza", "codice di conferma", "codice di accesso",
      "codice monouso", "codice otp", "codice di autenticazione",
    ],
  };

  /** Phrases that mean "some other code": never filled with a login code. */
  const IGNORE_WORDS = [
    "coupon", "coupon code", "promo", "promo code", "promotion", "promotional", "voucher", "discount",
    "gift", "gift card", "giftcard", "postal", "postal code", "post code", "postcode", "zip", "zip code",
    "zipcode", "bank", "bank code", "iban", "bic", "swift", "routing", "sort code", "captcha", "recaptcha",
    "referral", "invite", "invitation", "country code", "area code", "dial code", "cvc", "cvv", "card",
    "credit card", "tax", "vat",
    // es / pt / fr / de / it
    "cupon", "cupom", "descuento", "desconto", "codigo postal", "cep", "codigo promocional", "tarjeta",
    "cartao", "banco", "regalo", "presente", "code postal", "code promo", "bon de reduction", "carte",
    "banque", "cadeau", "postleitzahl", "plz", "gutschein", "gutscheincode", "rabatt", "rabattcode",
    "bankleitzahl", "karte", "geschenk", "codice postale", "cap", "codice sconto", "sconto", "buono",
    "carta", "banca", "regalo",
  ];

  const VERIFY_WORDS = [
    "verify", "confirm", "submit", "continue", "next", "sign in", "log in", "done",
    "verificar", "confirmar", "enviar", "continuar", "siguiente", "verifier", "valider", "confirmer",
    "continuer", "suivant", "bestatigen", "verifizieren", "weiter", "senden", "verifica", "conferma",
    "continua", "avanti", "invia",
  ];

  const ALL_CODE_WORDS = [].concat(CODE_WORDS.en, CODE_WORDS.es, CODE_WORDS.pt, CODE_WORDS.fr, CODE_WORDS.de, CODE_WORDS.it);

  function maxLength(el) {
    const raw = F.attr(el, "maxlength") || F.attr(el, "maxLength");
    if (!raw) return null;
    const n = parseInt(raw, 10);
    return Number.isFinite(n) && n >= 0 ? n : null;
  }

  function codeInputType(el) {
    if (F.tagOf(el) !== "INPUT") return false;
    const t = F.inputType(el);
    return t === "text" || t === "tel" || t === "number";
  }

  /** Does the text naming a field say it is some other kind of code? */
  function isIgnored(text) {
    return F.hasAnyPhrase(text, IGNORE_WORDS);
  }

  /** Does the text naming a field say it is a login code? */
  function mentionsCode(text) {
    if (F.hasAnyPhrase(text, ALL_CODE_WORDS)) return true;
    // Compounds in ids and names: "otpInput" is split by normalize, "code2fa" is not.
    return /(otp|2fa|mfa|totp|onetimecode|one time code)/.test(text.replace(/ /g, "")) &&
      !/(otpional)/.test(text);
  }

  /** Is `el` a single field for a whole login code (not a digit box)? */
  function isCodeField(el, probe) {
    if (!codeInputType(el) || !F.isUsable(el, probe)) return false;
    const ml = maxLength(el);
    if (ml !== null && (ml < 4 || ml > 10)) return false;
    const text = F.fieldText(el);
    if (isIgnored(text)) return false;
    if (F.attr(el, "autocomplete").toLowerCase().indexOf("one-time-code") !== -1) return true;
    return mentionsCode(text);
  }

  function isDigitBox(el, probe) {
    if (!codeInputType(el) && !(F.tagOf(el) === "INPUT" && F.inputType(el) === "password")) return false;
    if (maxLength(el) !== 1) return false;
    if (!F.isUsable(el, probe)) return false;
    return !isIgnored(F.fieldText(el));
  }

  function near(a, b) {
    const pa = F.parentOf(a);
    const pb = F.parentOf(b);
    if (pa && pa === pb) return true;
    const ga = pa && F.parentOf(pa);
    const gb = pb && F.parentOf(pb);
    return !!(ga && ga === gb);
  }

  /**
   * Groups of one-box-per-digit inputs: runs of 4 to 10 adjacent usable
   * inputs with maxlength 1 (same parent or grandparent, no other input in
   * between), in document order.
   */
  function findDigitGroups(root, probe) {
    const inputs = F.allElements(root).filter((e) => F.tagOf(e) === "INPUT" && F.isUsable(e, probe));
    const groups = [];
    let run = [];
    const flush = () => {
      if (run.length >= 4 && run.length <= 10) groups.push(run);
      run = [];
    };
    for (const e of inputs) {
      if (isDigitBox(e, probe)) {
        if (run.length && !near(run[run.length - 1], e)) flush();
        run.push(e);
      } else {
        flush();
      }
    }
    flush();
    return groups;
  }

  /**
   * The place to put a login code:
   *   {kind: "single", field, submit} | {kind: "boxes", fields, submit} | null.
   * autocomplete="one-time-code" wins, then digit boxes, then a field named
   * like a code.
   */
  function findCodeFields(root, opts) {
    const probe = opts && opts.probe;
    const inputs = F.allElements(root).filter((e) => F.tagOf(e) === "INPUT");
    const singles = inputs.filter((e) => isCodeField(e, probe));
    const marked = singles.filter((e) => F.attr(e, "autocomplete").toLowerCase().indexOf("one-time-code") !== -1);
    const groups = findDigitGroups(root, probe);
    const verbs = VERIFY_WORDS;
    if (marked.length) {
      return { kind: "single", field: marked[0], fields: [marked[0]], form: F.formOf(marked[0]), submit: F.findSubmit(marked[0], probe, verbs) };
    }
    if (groups.length) {
      const g = groups[0];
      return { kind: "boxes", field: g[0], fields: g, form: F.formOf(g[0]), submit: F.findSubmit(g[g.length - 1], probe, verbs) };
    }
    if (singles.length) {
      return { kind: "single", field: singles[0], fields: [singles[0]], form: F.formOf(singles[0]), submit: F.findSubmit(singles[0], probe, verbs) };
    }
    if (opts && opts.expectCode) {
      // A code is expected (the login just went through): an unnamed numeric
      // field is taken when it is the only text-like field on the page.
      const texty = inputs.filter((e) => codeInputType(e) && F.isUsable(e, probe));
      const e = texty.length === 1 ? texty[0] : null;
      const ml = e ? maxLength(e) : null;
      const numeric = e && (/^(numeric|decimal|tel)$/.test(F.attr(e, "inputmode").toLowerCase()) ||
        /\\d|\[0-9\]/.test(F.attr(e, "pattern")) || F.inputType(e) === "tel" || F.inputType(e) === "number");
      if (e && numeric && ml !== null && ml >= 4 && ml <= 10 && !isIgnored(F.fieldText(e))) {
        return { kind: "single", field: e, fields: [e], form: F.formOf(e), submit: F.findSubmit(e, probe, verbs) };
      }
    }
    return null;
  }

  /** The code without spaces or dashes, as one character per box; null if it does not fit. */
  function splitDigits(code, count) {
    const clean = cleanCode(code);
    if (!clean || clean.length !== count) return null;
    return clean.split("");
  }

  /** Phrases of a challenge page whose code comes from an authenticator app. */
  const APP_WORDS = [
    "authenticator", "authentication app", "authenticator app", "auth app", "google authenticator",
    "app de autenticacion", "aplicacion de autenticacion", "aplicativo de autenticacao",
    "app de autenticacao", "application d authentification", "authentifizierungs app",
    "authenticator app", "app di autenticazione", "applicazione di autenticazione",
  ];
  /** Phrases of a challenge page that sent its code by email or text message. */
  const SENT_WORDS = [
    "we sent", "we ve sent", "we have sent", "sent a code", "sent you", "sent to", "check your email",
    "check your inbox", "text message", "sms", "email", "e mail",
    "enviamos", "hemos enviado", "te enviamos", "correo", "mensaje de texto", "enviamos um",
    "mensagem", "nous avons envoye", "envoye a", "courriel", "wir haben", "gesendet", "abbiamo inviato",
    "inviato", "messaggio",
  ];

  /**
   * Where a challenge page says its code comes from: "totp" (an
   * authenticator app), "inbox" (sent by email or text), or null (the
   * server then uses the account's authenticator when it has one). An app
   * that knows a new device asks for an emailed code even when the account
   * has an authenticator, and only the page says which.
   */
  function codeSource(pageText) {
    const text = F.normalize(pageText).slice(0, 5000);
    if (!text) return null;
    if (F.hasAnyPhrase(text, APP_WORDS)) return "totp";
    if (F.hasAnyPhrase(text, SENT_WORDS)) return "inbox";
    return null;
  }

  function cleanCode(code) {
    return String(code == null ? "" : code).replace(/[\s-]/g, "");
  }

  return {
    CODE_WORDS, IGNORE_WORDS, VERIFY_WORDS,
    maxLength, isIgnored, mentionsCode, isCodeField, isDigitBox, findDigitGroups, findCodeFields,
    splitDigits, cleanCode, codeSource,
  };
});
