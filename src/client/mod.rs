//! The request path, from a call to a judged answer: what is sent ([`api`], [`params`]), with
//! which credentials ([`auth`], [`session`], [`totp`]), over which connection ([`transport`],
//! [`tls`], [`proxy`]), and what came back ([`body`], [`json`], [`response`], [`paginate`],
//! [`outcome`]). Nothing here reads the command line.

pub mod api;
pub mod auth;
pub mod body;
pub mod json;
pub mod outcome;
pub mod paginate;
pub mod params;
pub mod proxy;
pub mod response;
pub mod session;
pub mod tls;
pub mod totp;
pub mod transport;
