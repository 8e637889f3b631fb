//! The API's answer as the command line shows it: a success, or the API's "no" with its
//! reasons (exit 1), and cpcall's hints; every other failure is an error with its exit code.

use cpanel_client::{Answer, ErrorKind};

use crate::error::{Error, Exit, Result};

/// A call's answer from the API, as the command line shows it: a success, or the API's "no"
/// with its reasons; cpcall's hints after them.
#[derive(Debug)]
pub struct Shown {
    pub answer: Answer,
    /// The API's reasons, when it said no.
    pub reasons: Option<Vec<String>>,
    pub hints: Vec<String>,
}

impl Shown {
    /// The documented exit code of the API's answer.
    pub fn exit(&self) -> Exit {
        match self.reasons {
            Some(_) => Exit::ApiFailure,
            None => Exit::Success,
        }
    }
}

/// The library's result as the command line shows it: the API's answer (its "no" included),
/// or an error with its exit code.
pub fn shown(result: cpanel_client::Result<Answer>) -> Result<Shown> {
    match result {
        Ok(answer) => Ok(Shown {
            hints: answer.hints().to_vec(),
            answer,
            reasons: None,
        }),
        Err(e) if *e.kind() == ErrorKind::ApiFailure && e.answer().is_some() => {
            let reasons = e.reasons().to_vec();
            let words = crate::error::words(&e);
            match e.into_answer() {
                Some(answer) => Ok(Shown {
                    hints: answer.hints().to_vec(),
                    answer,
                    reasons: Some(reasons),
                }),
                None => Err(Error::new(Exit::ApiFailure, words)),
            }
        }
        Err(e) => Err(e.into()),
    }
}
