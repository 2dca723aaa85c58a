//! A small, forgiving HTML-to-text converter. It keeps what extraction needs:
//! block and line boundaries as newlines, table cells as tabs (so a code drawn
//! one digit per cell can be joined again), decoded entities, and every
//! `<a href>` with its anchor text and the text just before it. It never
//! fails: broken markup degrades to text.

/// A hyperlink found in HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Anchor {
    pub href: String,
    /// Visible text inside the anchor plus the `alt` of images inside it.
    pub text: String,
    /// Up to ~160 characters of document text before the anchor.
    pub context: String,
}

/// Text and links of an HTML document.
#[derive(Debug, Default)]
pub(crate) struct HtmlText {
    pub text: String,
    pub anchors: Vec<Anchor>,
}

const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "title",
    "tr",
    "ul",
];
const SKIP_TAGS: &[&str] = &[
    "script", "style", "head", "template", "noscript", "svg", "xml",
];
const MAX_ANCHORS: usize = 500;

struct Builder {
    out: String,
    /// Whitespace waiting to be written before the next visible character.
    pending: Pending,
    anchor: Option<(String, usize, String)>,
    anchors: Vec<Anchor>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Pending {
    None,
    Space,
    Cell,
    Line,
}

impl Builder {
    fn text(&mut self, s: &str) {
        for c in s.chars() {
            if c.is_whitespace() && c != '\u{a0}' {
                self.pending = self.pending.max(Pending::Space);
            } else {
                self.flush();
                self.out.push(c);
            }
        }
    }

    fn flush(&mut self) {
        if !self.out.is_empty() {
            match self.pending {
                Pending::None => {}
                Pending::Space => self.out.push(' '),
                Pending::Cell => self.out.push('\t'),
                Pending::Line => self.out.push('\n'),
            }
        }
        self.pending = Pending::None;
    }

    fn boundary(&mut self, kind: Pending) {
        self.pending = self.pending.max(kind);
    }

    fn open_anchor(&mut self, href: String) {
        self.close_anchor();
        self.flush_soft();
        let start = self.out.len();
        self.anchor = Some((href, start, String::new()));
    }

    /// Writes pending line/cell breaks so an anchor starts after them.
    fn flush_soft(&mut self) {
        if self.pending != Pending::None && self.pending != Pending::Space {
            self.flush();
        }
    }

    fn close_anchor(&mut self) {
        if let Some((href, start, alt)) = self.anchor.take() {
            if self.anchors.len() >= MAX_ANCHORS {
                return;
            }
            let inner = self.out.get(start..).unwrap_or("").trim();
            let mut text = inner.to_owned();
            if !alt.is_empty() {
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(alt.trim());
            }
            let before = self.out.get(..start).unwrap_or("");
            let context: String = {
                let rev: Vec<char> = before.chars().rev().take(160).collect();
                rev.into_iter().rev().collect()
            };
            self.anchors.push(Anchor {
                href,
                text,
                context,
            });
        }
    }
}

/// Converts HTML to text and collects its links.
pub(crate) fn to_text(html: &str) -> HtmlText {
    let mut b = Builder {
        out: String::with_capacity(html.len() / 2),
        pending: Pending::None,
        anchor: None,
        anchors: Vec::new(),
    };
    let bytes = html.as_bytes();
    let mut i = 0usize;
    while i < bytes.len() {
        let Some(rel) = html.get(i..).and_then(|s| s.find('<')) else {
            b.text(&decode_entities(html.get(i..).unwrap_or("")));
            break;
        };
        let lt = i + rel;
        if lt > i {
            b.text(&decode_entities(html.get(i..lt).unwrap_or("")));
        }
        let rest = html.get(lt..).unwrap_or("");
        if rest.starts_with("<!--") {
            i = rest.find("-->").map_or(bytes.len(), |p| lt + p + 3);
            continue;
        }
        let next = bytes.get(lt + 1).copied().unwrap_or(b' ');
        if !(next.is_ascii_alphabetic() || next == b'/' || next == b'!' || next == b'?') {
            b.text("<");
            i = lt + 1;
            continue;
        }
        let Some(end) = tag_end(bytes, lt + 1) else {
            // Unterminated tag: the rest is markup noise, not text.
            break;
        };
        let inner = html.get(lt + 1..end).unwrap_or("");
        i = end + 1;
        let closing = inner.starts_with('/');
        let name = tag_name(inner.trim_start_matches('/'));
        if name.is_empty() {
            continue;
        }
        if !closing && SKIP_TAGS.contains(&name.as_str()) && !inner.ends_with('/') {
            i = skip_raw(html, i, &name);
            continue;
        }
        match name.as_str() {
            "a" if closing => b.close_anchor(),
            "a" => match attr(inner, "href") {
                Some(href) => b.open_anchor(decode_entities(href.trim()).into_owned()),
                None => b.close_anchor(),
            },
            "img" => {
                if let (Some(alt), Some(anchor)) = (attr(inner, "alt"), b.anchor.as_mut()) {
                    anchor.2.push(' ');
                    anchor.2.push_str(&decode_entities(alt));
                }
            }
            "td" | "th" => b.boundary(Pending::Cell),
            n if BLOCK_TAGS.contains(&n) => b.boundary(Pending::Line),
            _ => {}
        }
    }
    b.close_anchor();
    HtmlText {
        text: b.out,
        anchors: b.anchors,
    }
}

/// Index of the `>` closing a tag that starts at `from`, skipping quoted values.
fn tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut quote: Option<u8> = None;
    let limit = bytes.len().min(from + 16 * 1024);
    let mut j = from;
    while j < limit {
        let c = bytes.get(j).copied()?;
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'>' => return Some(j),
            None => {}
        }
        j += 1;
    }
    // A stray quote must not swallow the document: fall back to the first `>`.
    bytes
        .get(from..)
        .and_then(|s| s.iter().position(|&c| c == b'>'))
        .map(|p| from + p)
}

fn tag_name(inner: &str) -> String {
    inner
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == ':' || *c == '!')
        .take(32)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Skips the body of a raw-text element up to its closing tag.
fn skip_raw(html: &str, from: usize, name: &str) -> usize {
    let bytes = html.as_bytes();
    let mut i = from;
    while let Some(p) = html.get(i..).and_then(|s| s.find("</")) {
        let at = i + p;
        let candidate = bytes.get(at + 2..at + 2 + name.len());
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name.as_bytes())) {
            return html
                .get(at..)
                .and_then(|s| s.find('>'))
                .map_or(html.len(), |q| at + q + 1);
        }
        i = at + 2;
    }
    html.len()
}

/// The value of attribute `name` in a tag's inner text.
fn attr<'a>(inner: &'a str, name: &str) -> Option<&'a str> {
    let bytes = inner.as_bytes();
    let mut i = tag_name(inner).len();
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'=' {
            i += 1;
        }
        let key = inner.get(start..i)?;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let value = if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            match bytes.get(i) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let vstart = i + 1;
                    let vend = inner
                        .get(vstart..)
                        .and_then(|s| s.find(q as char))
                        .map_or(inner.len(), |p| vstart + p);
                    i = vend + 1;
                    inner.get(vstart..vend)
                }
                _ => {
                    let vstart = i;
                    while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    inner.get(vstart..i)
                }
            }
        } else {
            Some("")
        };
        if key.eq_ignore_ascii_case(name) {
            return value;
        }
        if i == start {
            i += 1;
        }
    }
    None
}

const NAMED_ENTITIES: &[(&str, &str)] = &[
    ("amp", "&"),
    ("lt", "<"),
    ("gt", ">"),
    ("quot", "\""),
    ("apos", "'"),
    ("nbsp", "\u{a0}"),
    ("ensp", " "),
    ("emsp", " "),
    ("thinsp", " "),
    ("zwnj", ""),
    ("zwj", ""),
    ("shy", ""),
    ("lrm", ""),
    ("rlm", ""),
    ("copy", "©"),
    ("reg", "®"),
    ("trade", "™"),
    ("hellip", "…"),
    ("mdash", "—"),
    ("ndash", "–"),
    ("minus", "−"),
    ("lsquo", "‘"),
    ("rsquo", "’"),
    ("ldquo", "“"),
    ("rdquo", "”"),
    ("sbquo", "‚"),
    ("bdquo", "„"),
    ("laquo", "«"),
    ("raquo", "»"),
    ("lsaquo", "‹"),
    ("rsaquo", "›"),
    ("bull", "•"),
    ("middot", "·"),
    ("euro", "€"),
    ("pound", "£"),
    ("yen", "¥"),
    ("cent", "¢"),
    ("sect", "§"),
    ("deg", "°"),
    ("times", "×"),
    ("divide", "÷"),
    ("iexcl", "¡"),
    ("iquest", "¿"),
    ("ordm", "º"),
    ("ordf", "ª"),
    ("para", "¶"),
    ("dagger", "†"),
    ("rarr", "→"),
    ("larr", "←"),
    ("agrave", "à"),
    ("aacute", "á"),
    ("acirc", "â"),
    ("atilde", "ã"),
    ("auml", "ä"),
    ("aring", "å"),
    ("aelig", "æ"),
    ("ccedil", "ç"),
    ("egrave", "è"),
    ("eacute", "é"),
    ("ecirc", "ê"),
    ("euml", "ë"),
    ("igrave", "ì"),
    ("iacute", "í"),
    ("icirc", "î"),
    ("iuml", "ï"),
    ("ntilde", "ñ"),
    ("ograve", "ò"),
    ("oacute", "ó"),
    ("ocirc", "ô"),
    ("otilde", "õ"),
    ("ouml", "ö"),
    ("oslash", "ø"),
    ("ugrave", "ù"),
    ("uacute", "ú"),
    ("ucirc", "û"),
    ("uuml", "ü"),
    ("yacute", "ý"),
    ("yuml", "ÿ"),
    ("szlig", "ß"),
    ("Agrave", "À"),
    ("Aacute", "Á"),
    ("Acirc", "Â"),
    ("Atilde", "Ã"),
    ("Auml", "Ä"),
    ("Aring", "Å"),
    ("AElig", "Æ"),
    ("Ccedil", "Ç"),
    ("Egrave", "È"),
    ("Eacute", "É"),
    ("Ecirc", "Ê"),
    ("Euml", "Ë"),
    ("Iacute", "Í"),
    ("Icirc", "Î"),
    ("Ntilde", "Ñ"),
    ("Oacute", "Ó"),
    ("Ocirc", "Ô"),
    ("Otilde", "Õ"),
    ("Ouml", "Ö"),
    ("Oslash", "Ø"),
    ("Uacute", "Ú"),
    ("Ucirc", "Û"),
    ("Uuml", "Ü"),
    ("oelig", "œ"),
    ("OElig", "Œ"),
];

/// Decodes character references; unknown ones are left as written.
pub(crate) fn decode_entities(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('&') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(rest.get(..p).unwrap_or(""));
        let after = rest.get(p + 1..).unwrap_or("");
        let name_len = after
            .char_indices()
            .take(33)
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '#'))
            .map_or(after.len().min(33), |(k, _)| k);
        let name = after.get(..name_len).unwrap_or("");
        let has_semi = after.get(name_len..).is_some_and(|r| r.starts_with(';'));
        let decoded = decode_reference(name);
        match decoded {
            Some(text) if has_semi || name.starts_with('#') => {
                out.push_str(&text);
                rest = after.get(name_len + usize::from(has_semi)..).unwrap_or("");
            }
            _ => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

fn decode_reference(name: &str) -> Option<String> {
    if let Some(num) = name.strip_prefix('#') {
        let value = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        let c = char::from_u32(value).unwrap_or('\u{fffd}');
        return Some(if c == '\0' { '\u{fffd}' } else { c }.to_string());
    }
    NAMED_ENTITIES
        .iter()
        .find(|(n, _)| *n == name)
        .or_else(|| {
            NAMED_ENTITIES
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
        })
        .map(|(_, v)| (*v).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_become_tabs_and_blocks_lines() {
        let h = to_text(
            "<html><head><style>p{}</style></head><body><p>Code:</p><table><tr>\
             <td>1</td> <td>2</td><td>3</td></tr></table><p>a&amp;b&nbsp;&#x31;&#50;</p></body>",
        );
        assert_eq!(h.text, "Code:\n1\t2\t3\na&b\u{a0}12");
    }

    #[test]
    fn anchors_keep_text_and_context() {
        let h = to_text(
            "<p>Please confirm.</p><a href=\"https://x.test/c?a=1&amp;b=2\">Confirm <img alt='now'></a>",
        );
        assert_eq!(h.anchors.len(), 1);
        assert_eq!(h.anchors[0].href, "https://x.test/c?a=1&b=2");
        assert_eq!(h.anchors[0].text, "Confirm now");
        assert_eq!(h.anchors[0].context, "Please confirm.\n");
    }

    #[test]
    fn broken_markup_does_not_panic() {
        for s in [
            "<",
            "<a href='x",
            "<p",
            "&#xffffffff;",
            "<scr<script>",
            "a < b",
            "<!--",
            "é<é",
        ] {
            let _ = to_text(s);
        }
    }
}
