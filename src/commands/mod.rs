//! One file per subcommand: a call's checks and context ([`invoke`]) and how its answer is
//! shown, also on many profiles ([`call`]); [`batch`] (with the worker pool in [`fanout`]);
//! [`login`] and logout; [`config`] (its questions and file edits in [`configure`]);
//! [`trust`]; [`doctor`]; [`describe`]. `app` only dispatches to them.

pub mod batch;
pub mod call;
pub mod config;
pub mod configure;
pub mod describe;
pub mod doctor;
pub mod fanout;
pub mod invoke;
pub mod login;
pub mod trust;
