//! The secrets of this run, masked in everything the command line prints itself (stderr,
//! JSON lines, doctor). Each target's client masks its own secrets in what the library says;
//! the command line speaks of many targets at once, so it keeps their masks together here.

use std::borrow::Cow;
use std::sync::Mutex;

use cpanel_client::Mask;

static MASKS: Mutex<Vec<Mask>> = Mutex::new(Vec::new());

/// Masks what `mask` masks (a target's secrets, as they are read) from now on.
pub fn register(mask: Mask) {
    let mut masks = MASKS.lock().unwrap_or_else(|e| e.into_inner());
    if !masks.iter().any(|m| m.same_as(&mask)) {
        masks.push(mask);
    }
}

/// Masks `secret` itself (one the command line read: a typed password).
pub fn hide(secret: &str) {
    let mask = Mask::default();
    mask.hide(secret);
    register(mask);
}

/// `text` with every secret of the run masked.
pub fn masked(text: &str) -> Cow<'_, str> {
    let masks = MASKS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut text = Cow::Borrowed(text);
    for mask in &masks {
        if let Cow::Owned(m) = mask.masked(&text) {
            text = Cow::Owned(m);
        }
    }
    text
}

/// The longest text a secret of the run may come back as: what a cut must keep whole.
pub fn longest() -> usize {
    let masks = MASKS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    masks.iter().map(Mask::longest).max().unwrap_or(0)
}
