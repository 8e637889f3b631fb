//! Where an answer's bytes wait between arriving and being printed: in memory up to
//! [`SPOOL_AT`], past that in an unlinked temporary file (in the spool folder or `$TMPDIR`,
//! mode 600, gone with the answer, and with the process however it ends).
//!
//! Why: nothing of an answer may reach stdout before all of it has arrived and been judged (a
//! truncated or broken answer prints nothing), yet a 500 MB answer must not cost 500 MB of
//! memory. The file costs a write and a read through the page cache, far less than the TLS
//! that brought the bytes.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::sync::mpsc;

use crate::json::{Checked, Checker};
use crate::report::Voice;
use crate::sink::Printer;

/// Answers up to this size stay in memory.
pub const SPOOL_AT: usize = 8 << 20;
/// Past this much of an answer, checking and keeping it move to a second thread.
pub const PIPELINE_AT: u64 = 1 << 20;
/// How much of an answer is read at a time.
const READ_PIECE: usize = 128 << 10;
/// The piece size for copying a spooled answer out.
const PIECE: usize = 256 << 10;

/// A whole answer's bytes, in memory or spooled to an unnamed temporary file.
#[derive(Default)]
pub struct Body {
    memory: Vec<u8>,
    file: Option<File>,
    len: u64,
    /// Already written to a sink as it arrived ([`crate::Sink`]): nothing kept.
    printed: bool,
}

/// Its size and where it waits, never its bytes: an answer may quote a credential.
impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let place = match (self.printed, &self.file) {
            (true, _) => "printed as it arrived",
            (false, Some(_)) => "spooled to a temporary file",
            (false, None) => "in memory",
        };
        write!(f, "Body({} bytes, {place})", self.len)
    }
}

impl Body {
    /// Bytes held in memory, as an answer's are.
    pub fn from_vec(bytes: Vec<u8>) -> Body {
        Body {
            len: bytes.len() as u64,
            memory: bytes,
            file: None,
            printed: false,
        }
    }

    /// Whether the answer went to a sink as it arrived (and is not kept).
    pub fn printed(&self) -> bool {
        self.printed
    }

    /// How many bytes it has.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// All of it, to read or write.
    pub fn whole(&self) -> View<'_> {
        View::whole(self)
    }

    /// The bytes, when they are held in memory.
    pub(crate) fn in_memory(&self) -> Option<&[u8]> {
        self.file.is_none().then_some(&self.memory[..])
    }

    /// The whole answer in memory, read back from the file when spooled: for the few paths
    /// that need all of it at once (merging pages, a login's answer).
    pub fn bytes(&self) -> io::Result<Cow<'_, [u8]>> {
        match self.in_memory() {
            Some(bytes) => Ok(Cow::Borrowed(bytes)),
            None => {
                let mut all = Vec::new();
                self.each_piece(0..self.len, &mut |piece| {
                    all.extend_from_slice(piece);
                    Ok(())
                })?;
                Ok(Cow::Owned(all))
            }
        }
    }

    /// Hands the bytes of `range` to `sink` in order, a piece at a time.
    pub(crate) fn each_piece(
        &self,
        range: Range<u64>,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        let range = range.start.min(self.len)..range.end.min(self.len);
        if self.file.is_none() {
            return sink(&self.memory[range.start as usize..range.end as usize]);
        }
        let mut buf = vec![0u8; PIECE.min((range.end - range.start) as usize)];
        let mut at = range.start;
        while at < range.end {
            let want = ((range.end - at) as usize).min(buf.len());
            let n = self.read_at(&mut buf[..want], at)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the spooled answer is shorter than what arrived",
                ));
            }
            sink(&buf[..n])?;
            at += n as u64;
        }
        Ok(())
    }

    /// Bytes from offset `at` into `buf`, from memory or the file; how many (0 at the end).
    fn read_at(&self, buf: &mut [u8], at: u64) -> io::Result<usize> {
        match &self.file {
            Some(file) => file.read_at(buf, at),
            None => {
                let rest = self.memory.get(at as usize..).unwrap_or_default();
                let n = rest.len().min(buf.len());
                buf[..n].copy_from_slice(&rest[..n]);
                Ok(n)
            }
        }
    }
}

/// What is shown of an answer: all of it, one member's value (the payload), or `null` for a
/// payload that is not there. Read without a copy, from memory or the spool.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub(crate) body: &'a Body,
    /// `None`: the value `null`.
    pub(crate) range: Option<(u64, u64)>,
}

impl<'a> View<'a> {
    /// All of `body`.
    #[doc(hidden)]
    pub fn part(body: &'a Body, range: Option<(u64, u64)>) -> View<'a> {
        View { body, range }
    }

    /// All of `body`.
    pub fn whole(body: &'a Body) -> View<'a> {
        View {
            body,
            range: Some((0, body.len())),
        }
    }

    /// Hands its bytes to `sink` in order, a piece at a time (up to 256 KiB).
    pub fn each_piece(&self, sink: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        match self.range {
            Some((start, end)) => self.body.each_piece(start..end, sink),
            None => sink(b"null"),
        }
    }

    /// The view's bytes as a reader, for parsers that pull.
    pub fn reader(&self) -> ViewReader<'a> {
        let (at, end) = self.range.unwrap_or((0, 0));
        ViewReader {
            view: *self,
            at,
            end,
            null: self.range.is_none(),
        }
    }
}

/// Reads a [`View`] from its start ([`View::reader`]).
#[derive(Debug)]
pub struct ViewReader<'a> {
    view: View<'a>,
    at: u64,
    end: u64,
    null: bool,
}

impl io::Read for ViewReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.null {
            self.null = false;
            return io::Read::read(&mut &b"null"[..], buf);
        }
        let want = ((self.end - self.at) as usize).min(buf.len());
        if want == 0 {
            return Ok(0);
        }
        let n = self.view.body.read_at(&mut buf[..want], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// Reads an answer to its end, checking it ([`Checker`]) and keeping it ([`Spool`]) as it
/// arrives. Past [`PIPELINE_AT`], a second thread checks and keeps while this one receives:
/// on two cores the TLS decryption and the checking overlap, so a big answer takes about as
/// long as receiving it.
pub(crate) fn receive(
    reader: &mut dyn io::Read,
    expected: u64,
    direct: Option<&mut Printer>,
    spooling: &Spooling,
) -> io::Result<(Body, Checked)> {
    let mut keeper = Keeper {
        spool: Spool::new(if direct.is_some() { 0 } else { expected }, spooling),
        checker: Checker::default(),
        direct,
    };
    let mut piece = vec![0u8; READ_PIECE];
    while keeper.spool.body.len < PIPELINE_AT {
        let n = read_some(reader, &mut piece)?;
        if n == 0 {
            return keeper.finish();
        }
        keeper.take(&piece[..n])?;
    }
    // Output that needs no verdict member (all but --data) is laid out here, in parallel
    // with the checking.
    let mut here = keeper.direct.take_if(|d| !d.needs_checker());
    if here.is_some() {
        keeper.spool.body.printed = true;
    }
    std::thread::scope(|scope| {
        // Pieces go over and come back for reuse: no allocation per piece.
        let (full, full_rx) = mpsc::sync_channel::<(Vec<u8>, usize)>(4);
        let (empty_tx, empty) = mpsc::channel::<Vec<u8>>();
        let worker = scope.spawn(move || -> io::Result<Keeper> {
            for (piece, n) in full_rx {
                keeper.take(&piece[..n])?;
                let _ = empty_tx.send(piece);
            }
            Ok(keeper)
        });
        let received = (|| -> io::Result<()> {
            loop {
                let mut piece = empty.try_recv().unwrap_or_else(|_| vec![0u8; READ_PIECE]);
                // Whole pieces: TLS hands out 16 kB records, and each hand-over costs a wake-up.
                let n = read_full(reader, &mut piece)?;
                if n == 0 {
                    return Ok(());
                }
                if let Some(direct) = here.as_deref_mut() {
                    direct
                        .emit(&piece[..n])
                        .map_err(|e| sink_error(e, direct))?;
                }
                if full.send((piece, n)).is_err() {
                    return Ok(()); // the worker stopped on an error, which it reports
                }
            }
        })();
        drop(full);
        let kept = worker
            .join()
            .map_err(|_| io::Error::other("the answer's checker stopped"))?;
        received?;
        let mut keeper = kept?;
        if here.is_some() {
            keeper.direct = here;
        }
        keeper.finish()
    })
}

/// What receiving keeps: the check, and the bytes (spooled, or written to stdout).
struct Keeper<'a> {
    spool: Spool,
    checker: Checker,
    direct: Option<&'a mut Printer>,
}

impl Keeper<'_> {
    fn take(&mut self, piece: &[u8]) -> io::Result<()> {
        self.checker.feed(piece);
        match self.direct.as_deref_mut() {
            Some(direct) => {
                self.spool.body.printed = true;
                direct
                    .write(piece, &self.checker)
                    .map_err(|e| sink_error(e, direct))?;
            }
            // Written to stdout on the receiving thread: only counted here.
            None if self.spool.body.printed => {}
            None => return self.spool.write(piece),
        }
        self.spool.body.len += piece.len() as u64;
        Ok(())
    }

    fn finish(self) -> io::Result<(Body, Checked)> {
        let checked = self.checker.finish();
        if let Some(direct) = self.direct {
            // Whole: ended as JSON ends, or cut off (the judge says which; a broken one is
            // undone).
            direct.finish(&checked).map_err(|e| sink_error(e, direct))?;
        }
        Ok((self.spool.finish(), checked))
    }
}

fn read_full(reader: &mut dyn io::Read, piece: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < piece.len() {
        match read_some(reader, &mut piece[n..])? {
            0 => break,
            got => n += got,
        }
    }
    Ok(n)
}

fn read_some(reader: &mut dyn io::Read, piece: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(piece) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Where answers past [`SPOOL_AT`] wait (a folder, else the system's temporary one), and who
/// hears when they cannot.
#[derive(Debug, Clone, Default)]
pub(crate) struct Spooling {
    pub dir: Option<std::path::PathBuf>,
    pub voice: Voice,
}

impl Spooling {
    fn dir(&self) -> std::path::PathBuf {
        self.dir.clone().unwrap_or_else(std::env::temp_dir)
    }
}

/// Collects an answer as it arrives.
#[derive(Debug)]
pub(crate) struct Spool {
    body: Body,
    /// The temporary file could not be made: keep the answer in memory, as before spooling.
    memory_only: bool,
    spooling: Spooling,
}

impl Spool {
    /// `expected` (a Content-Length, already capped) sizes the memory buffer up front.
    pub fn new(expected: u64, spooling: &Spooling) -> Spool {
        let mut body = Body::default();
        let _ = body
            .memory
            .try_reserve_exact((expected as usize).min(SPOOL_AT));
        Spool {
            body,
            memory_only: false,
            spooling: spooling.clone(),
        }
    }

    pub fn write(&mut self, piece: &[u8]) -> io::Result<()> {
        self.body.len += piece.len() as u64;
        if let Some(file) = &mut self.body.file {
            return file
                .write_all(piece)
                .map_err(|e| spool_error(e, &self.spooling));
        }
        if self.memory_only || self.body.memory.len() + piece.len() <= SPOOL_AT {
            self.body.memory.extend_from_slice(piece);
            return Ok(());
        }
        // Unnamed, and mode 600 besides: the answer may list accounts.
        let made = tempfile::tempfile_in(self.spooling.dir()).and_then(|file| {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            Ok(file)
        });
        match made {
            Ok(mut file) => {
                let failed = |e| spool_error(e, &self.spooling);
                file.write_all(&self.body.memory).map_err(failed)?;
                file.write_all(piece).map_err(failed)?;
                self.body.memory = Vec::new();
                self.body.file = Some(file);
            }
            Err(e) => {
                self.spooling.voice.warning(format!(
                    "cannot make a temporary file in {} ({e}): keeping the whole answer in memory; {}",
                    self.spooling.dir().display(),
                    spool_fix(&self.spooling, "writable"),
                ));
                self.memory_only = true;
                self.body.memory.extend_from_slice(piece);
            }
        }
        Ok(())
    }

    pub fn finish(self) -> Body {
        self.body
    }
}

/// Why an answer could not be kept, marked so transport says it in those words (and not as a
/// network failure).
#[derive(Debug)]
pub(crate) enum KeepError {
    /// The temporary file failed (the answer is lost).
    Spool(String),
    /// The sink refused the answer (a full disk).
    Sink(String),
}

impl std::fmt::Display for KeepError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            KeepError::Spool(m) | KeepError::Sink(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for KeepError {}

/// A sink's failure, in words naming it (and marked, so transport does not blame the network).
pub(crate) fn sink_error(e: io::Error, printer: &Printer) -> io::Error {
    // Marked already (a sink passing on a client's error).
    if e.get_ref().is_some_and(|i| i.is::<KeepError>()) {
        return e;
    }
    io::Error::other(KeepError::Sink(format!(
        "cannot write the answer to {}: {e}",
        printer.sink.name()
    )))
}

fn spool_error(e: io::Error, spooling: &Spooling) -> io::Error {
    io::Error::other(KeepError::Spool(format!(
        "cannot keep the answer in a temporary file in {} ({e}): free space there, or {}",
        spooling.dir().display(),
        spool_fix(spooling, "roomier"),
    )))
}

/// Where else answers can wait: another spool folder, or another `TMPDIR`.
fn spool_fix(spooling: &Spooling, kind: &str) -> String {
    match spooling.dir {
        Some(_) => format!("give Options::spool_dir a {kind} folder"),
        None => format!("set TMPDIR to a {kind} folder"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_answers_stay_in_memory_and_big_ones_spool() {
        for size in [0, 10, SPOOL_AT, SPOOL_AT + 1, 3 * SPOOL_AT + 7] {
            let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let mut spool = Spool::new(0, &Spooling::default());
            for piece in data.chunks(100_003) {
                spool.write(piece).unwrap();
            }
            let body = spool.finish();
            assert_eq!(body.len(), size as u64);
            assert_eq!(body.in_memory().is_some(), size <= SPOOL_AT, "{size}");
            assert_eq!(&body.bytes().unwrap()[..], &data[..], "{size}");
            let range = (size / 3) as u64..(size - size / 5) as u64;
            let mut got = Vec::new();
            body.each_piece(range.clone(), &mut |p| {
                got.extend_from_slice(p);
                Ok(())
            })
            .unwrap();
            assert_eq!(got, &data[range.start as usize..range.end as usize]);
        }
    }
}
