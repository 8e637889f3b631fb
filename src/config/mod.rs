//! The config file and the settings of one run: the library reads the file
//! ([`cpanel_client::profiles`]); [`profile`] puts the command line's flags and `CPCALL_*`
//! variables on top of a profile and builds the target.

pub mod profile;

pub use cpanel_client::files;
pub use cpanel_client::profiles::{default_path, load, parse, Loaded};
pub use cpanel_client::{check_timeout, expand_tilde, AuthKind, Profile, SecretName, Service};

/// Secrets and where they come from.
pub mod secret {
    pub use cpanel_client::Source;
}
