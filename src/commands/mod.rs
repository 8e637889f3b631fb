//! What each subcommand does beyond sending one call: the call itself and its checks
//! ([`invoke`]), many calls ([`batch`], [`fanout`]), and the rooms of their own ([`doctor`],
//! [`configure`] for `config`, [`trust`], [`describe`], [`complete`] for TAB).

pub mod batch;
pub mod complete;
pub mod configure;
pub mod describe;
pub mod doctor;
pub mod fanout;
pub mod invoke;
pub mod trust;
