//! What the check of an inbound mail's sender concluded: its DKIM and DMARC
//! verdicts (`SenderAuth::dkim` / `::dmarc`, kept in a message's stored
//! JSON and sent in the inbox's).

/// The DKIM verdict of a message: the best of its signatures' results.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DkimVerdict {
    /// A signature verified.
    Pass,
    /// A signature did not verify, or its body was altered.
    Fail,
    /// A signature could not be judged.
    Neutral,
    /// A signature or its key is malformed (or the message is).
    #[serde(rename = "permerror")]
    PermError,
    /// A key could not be looked up now.
    #[serde(rename = "temperror")]
    TempError,
    /// Not signed (or not checked).
    #[default]
    None,
}

impl DkimVerdict {
    /// The stored and sent spelling (RFC 8601's result words).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Neutral => "neutral",
            Self::PermError => "permerror",
            Self::TempError => "temperror",
            Self::None => "none",
        }
    }

    /// How much a verdict says, to keep the best of several signatures':
    /// a pass, then a failure, then the errors, then neutral, then none.
    pub const fn rank(self) -> u8 {
        match self {
            Self::Pass => 5,
            Self::Fail => 4,
            Self::PermError => 3,
            Self::TempError => 2,
            Self::Neutral => 1,
            Self::None => 0,
        }
    }
}

spelled_as_str!(
    DkimVerdict,
    "DKIM verdict",
    [Pass, Fail, Neutral, PermError, TempError, None]
);

/// The DMARC verdict of a message: whether its From domain is aligned with
/// a passing DKIM signature (SPF is not evaluated).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DmarcVerdict {
    Pass,
    Fail,
    /// The domain publishes no DMARC policy (or it was not checked).
    #[default]
    None,
    /// The policy could not be looked up now.
    #[serde(rename = "temperror")]
    TempError,
    /// The policy, or the message (several From addresses), is malformed.
    #[serde(rename = "permerror")]
    PermError,
}

impl DmarcVerdict {
    /// The stored and sent spelling (RFC 8601's result words).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::None => "none",
            Self::TempError => "temperror",
            Self::PermError => "permerror",
        }
    }
}

spelled_as_str!(
    DmarcVerdict,
    "DMARC verdict",
    [Pass, Fail, None, TempError, PermError]
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_spell_themselves_as_stored_and_sent() {
        let words = ["pass", "fail", "neutral", "permerror", "temperror", "none"];
        crate::tests::assert_spelled(DkimVerdict::ALL, words, DkimVerdict::as_str);
        let words = ["pass", "fail", "none", "temperror", "permerror"];
        crate::tests::assert_spelled(DmarcVerdict::ALL, words, DmarcVerdict::as_str);
        assert!("neutral".parse::<DmarcVerdict>().is_err());
        assert!("PASS".parse::<DkimVerdict>().is_err());
    }

    #[test]
    fn a_pass_outranks_every_other_dkim_verdict() {
        let mut ranks: Vec<u8> = DkimVerdict::ALL
            .into_iter()
            .map(DkimVerdict::rank)
            .collect();
        assert_eq!(ranks, [5, 4, 1, 3, 2, 0]);
        ranks.sort_unstable();
        ranks.dedup();
        assert_eq!(
            ranks.len(),
            DkimVerdict::ALL.len(),
            "each verdict its own rank"
        );
    }
}
