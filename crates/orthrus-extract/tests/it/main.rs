//! Integration tests of `orthrus-extract`: the shared starter corpus, this
//! crate's own corpus and holdout set, and property tests.

mod case;
mod corpus;
mod limits;
mod props;
