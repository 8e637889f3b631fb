//! Looking at a server without calling its API: its TLS handshake and certificate, the TLS
//! versions it offers, and whether a proxy lets one through. For diagnostics (`cpcall doctor`,
//! `cpcall trust`) and for programs that pin certificates.
