//! Keyword tables in many languages. Entries are written naturally and folded
//! (lower case, accents removed) when the matchers are built, so "código" also
//! finds "codigo" in an SMS that dropped its accents.
//!
//! Bounds: `W` whole word, `P` word prefix ("verif" finds "verificación"),
//! `A` anywhere (scripts without spaces, and compounds like "Anmeldecode").

mod code;
mod link;

pub(crate) use code::CODE_KEYWORDS;
pub(crate) use link::LINK_KEYWORDS;

/// What a keyword says about a number near it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CodeKw {
    /// Announces a one-time code, with a weight in 0..=1.
    Pos(f32),
    /// Turns a following or preceding "code" into something else ("promo
    /// code", "código postal") and labels a number as not a one-time code.
    Modifier,
    /// Labels the number after it as an order, reference, amount, phone…
    Label,
    /// A currency word or symbol: the number next to it is money.
    Currency,
    /// A unit word after a number ("10 minutes", "500 MB").
    Unit,
    /// Postal-address vocabulary.
    Address,
}

/// What a word says about a link.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum LinkKw {
    /// Confirms, verifies or activates something, or says "it was me".
    Confirm(f32),
    /// Signs in; counts only for a link that carries a token.
    SignIn,
    /// Unsubscribe, privacy, help, "this wasn't me" and other links to skip.
    Avoid,
    /// "Click here": look at the text around the anchor instead.
    Generic,
}
