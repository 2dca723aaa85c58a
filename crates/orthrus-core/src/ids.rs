//! Newtype identifiers. All are UUIDv7 (time-ordered) minted from the `Clock`
//! and `Entropy` so tests stay deterministic about time.

use crate::clock::{Clock, Entropy};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Mints a UUIDv7 from a clock and an entropy source.
pub fn new_uuid(clock: &dyn Clock, rng: &dyn Entropy) -> Uuid {
    let ms = u64::try_from(clock.now().millis()).unwrap_or(0);
    let mut rand = [0u8; 10];
    rng.fill(&mut rand);
    uuid::Builder::from_unix_timestamp_millis(ms, &rand).into_uuid()
}

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new(clock: &dyn Clock, rng: &dyn Entropy) -> Self {
                Self(new_uuid(clock, rng))
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

id_type!(
    WorkspaceId,
    UserId,
    AccountId,
    SessionId,
    TokenId,
    EventId,
    FieldId
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{FakeClock, OsEntropy, Timestamp};

    #[test]
    fn ids_are_time_ordered_and_parse() {
        let clock = FakeClock::new(Timestamp(1_700_000_000_000));
        let a = UserId::new(&clock, &OsEntropy);
        clock.advance_secs(1);
        let b = UserId::new(&clock, &OsEntropy);
        assert!(a < b);
        assert_eq!(b.to_string().parse::<UserId>().ok(), Some(b));
        assert_eq!(a.0.get_version_num(), 7);
    }
}
