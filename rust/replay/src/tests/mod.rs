//! Unit tests of the crate, one file per concern; histories come from `testkit`.

mod boundaries;
mod matching;
mod parse;
mod sticky;
