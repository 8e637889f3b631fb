//! Answers written somewhere as they arrive ([`crate::Client::stream_to`]) instead of waiting
//! whole in memory or a spool: for a big listing going to a file. The client says when what
//! it wrote turns out not to be the API's answer (a login page, a cut-off answer), and the sink
//! takes it back ([`Sink::undo`]); a sink that cannot take bytes back should not be used.

use std::io;

/// Where an answer goes as it arrives.
pub trait Sink: Send {
    /// The next bytes of what is shown (all of the answer, or the part of its payload).
    fn write(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// The answer ended; everything written is there (flush).
    fn finish(&mut self) -> io::Result<()>;
    /// Takes back everything written since the last [`Sink::keep`]: the answer was not the
    /// API's, or it is being sent again.
    fn undo(&mut self) -> io::Result<()>;
    /// The answer is the API's (success or failure): what was written stays.
    fn keep(&mut self) {}
    /// Where it writes, for messages ("standard output", a file's name).
    fn name(&self) -> String;
}

/// The sink with what of the answer it shows: `payload`, that envelope member's value alone
/// (and `null` when the answer has none).
pub(crate) struct Printer {
    pub sink: Box<dyn Sink>,
    pub payload: Option<crate::json::Payload>,
    /// Something was written since the last undo.
    wrote: bool,
}

impl Printer {
    pub fn new(sink: Box<dyn Sink>, payload: Option<crate::json::Payload>) -> Printer {
        Printer {
            sink,
            payload,
            wrote: false,
        }
    }

    /// The piece of the answer just fed to `checker`: its part that is shown, written.
    pub fn write(&mut self, piece: &[u8], checker: &crate::json::Checker) -> io::Result<()> {
        let end = checker.offset();
        let begin = end - piece.len() as u64;
        let shown = match self.payload {
            None => piece,
            Some(which) => {
                let Some((from, to)) = checker.payload_so_far(which) else {
                    return Ok(());
                };
                let (from, to) = (from.max(begin), to.unwrap_or(u64::MAX).min(end));
                if from >= to {
                    return Ok(());
                }
                &piece[(from - begin) as usize..(to - begin) as usize]
            }
        };
        self.emit(shown)
    }

    /// Whether what is shown depends on where the payload lies.
    pub fn needs_checker(&self) -> bool {
        self.payload.is_some()
    }

    /// Writes shown bytes.
    pub fn emit(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.wrote = true;
        self.sink.write(bytes)
    }

    /// The answer is complete: `null` for a payload that never came.
    pub fn finish(&mut self, checked: &crate::json::Checked) -> io::Result<()> {
        self.wrote = true;
        if let Some(which) = self.payload {
            if checked.payload(which).is_none() {
                self.sink.write(b"null")?;
            }
        }
        self.sink.finish()
    }

    /// Takes back what was written, if anything was.
    pub fn undo(&mut self) -> io::Result<()> {
        if !self.wrote {
            return Ok(());
        }
        self.wrote = false;
        self.sink.undo()
    }
}
