//! What client and agent say on the socket: one request and one answer per connection.
//!
//! A request is one byte (`I` info, `U` unwrap, `W` sign, `S` stop); for `U` a length (u32,
//! big endian) and the age header's recipient stanzas as JSON: public data, as in any age file;
//! for `W` the 32-byte digest of a vault document to sign with the identity's writer key.
//! The answers: `I` + length + JSON [`Info`]; `K` + the 16-byte file key, raw, so it never sits
//! in a text buffer; `G` + the 64-byte signature; `N` no stanza is ours; `O` stopping;
//! `E` + length + a message.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use age_core::format::{FILE_KEY_BYTES, FileKey, Stanza};
use age_core::secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::writer::Digest;

/// Far above any real answer; keeps a bad peer from making the other side allocate at will.
pub const MAX_PAYLOAD: u32 = 1 << 20;

/// The most an unwrap request may carry: an X25519 stanza takes about 200 bytes here and an
/// RSA-4096 one about 2 KiB, so this is room for a thousand recipients or a hundred RSA ones,
/// while a client cannot make the agent read and parse much more than that.
pub const MAX_REQUEST: u32 = 256 << 10;

pub enum Request {
    Info,
    Unwrap(Vec<Stanza>),
    Sign(Digest),
    Stop,
}

pub enum Answer {
    Info(Info),
    FileKey(FileKey),
    Signature([u8; 64]),
    NoMatch,
    Stopping,
    Failed(String),
}

/// What `vault agent status` shows, and what clients need to write a vault: the public keys
/// of the identity the agent holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Info {
    pub pid: u32,
    pub identity: String,
    pub recipients: Vec<String>,
    pub idle_timeout_secs: Option<u64>,
    /// The writer key (`vaultw1…`) the agent signs with.
    #[serde(default)]
    pub writer: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct WireStanza {
    tag: String,
    args: Vec<String>,
    body: Vec<u8>,
}

pub fn write_request(out: &mut impl Write, request: &Request) -> io::Result<()> {
    match request {
        Request::Info => out.write_all(b"I"),
        Request::Stop => out.write_all(b"S"),
        Request::Sign(digest) => {
            out.write_all(b"W")?;
            out.write_all(digest)
        }
        Request::Unwrap(stanzas) => {
            let wire: Vec<WireStanza> = stanzas
                .iter()
                .map(|s| WireStanza {
                    tag: s.tag.clone(),
                    args: s.args.clone(),
                    body: s.body.clone(),
                })
                .collect();
            let json = serde_json::to_vec(&wire).map_err(io::Error::other)?;
            if json.len() > MAX_REQUEST as usize {
                return Err(invalid("the age header is too large for the agent"));
            }
            out.write_all(b"U")?;
            write_payload(out, &json)
        }
    }
}

pub fn read_request(input: &mut impl Read) -> io::Result<Request> {
    match read_byte(input)? {
        b'I' => Ok(Request::Info),
        b'S' => Ok(Request::Stop),
        b'W' => {
            let mut digest = [0u8; 32];
            input.read_exact(&mut digest)?;
            Ok(Request::Sign(digest))
        }
        b'U' => {
            let json = read_payload(input, MAX_REQUEST)?;
            let wire: Vec<WireStanza> = serde_json::from_slice(&json).map_err(invalid)?;
            Ok(Request::Unwrap(
                wire.into_iter()
                    .map(|s| Stanza {
                        tag: s.tag,
                        args: s.args,
                        body: s.body,
                    })
                    .collect(),
            ))
        }
        _ => Err(invalid("unknown request")),
    }
}

pub fn write_answer(out: &mut impl Write, answer: &Answer) -> io::Result<()> {
    match answer {
        Answer::Info(info) => {
            out.write_all(b"I")?;
            write_payload(out, &serde_json::to_vec(info).map_err(io::Error::other)?)
        }
        Answer::FileKey(key) => {
            // One write, from the key's own memory: no copy to wipe.
            let mut frame = zeroize::Zeroizing::new([0u8; 1 + FILE_KEY_BYTES]);
            frame[0] = b'K';
            frame[1..].copy_from_slice(key.expose_secret());
            out.write_all(&*frame)
        }
        Answer::Signature(signature) => {
            out.write_all(b"G")?;
            out.write_all(signature)
        }
        Answer::NoMatch => out.write_all(b"N"),
        Answer::Stopping => out.write_all(b"O"),
        Answer::Failed(message) => {
            out.write_all(b"E")?;
            write_payload(out, message.as_bytes())
        }
    }
}

pub fn read_answer(input: &mut impl Read) -> io::Result<Answer> {
    match read_byte(input)? {
        b'I' => {
            let json = read_payload(input, MAX_PAYLOAD)?;
            Ok(Answer::Info(
                serde_json::from_slice(&json).map_err(invalid)?,
            ))
        }
        b'K' => FileKey::try_init_with_mut(|key| input.read_exact(key)).map(Answer::FileKey),
        b'G' => {
            let mut signature = [0u8; 64];
            input.read_exact(&mut signature)?;
            Ok(Answer::Signature(signature))
        }
        b'N' => Ok(Answer::NoMatch),
        b'O' => Ok(Answer::Stopping),
        b'E' => {
            let text = read_payload(input, MAX_PAYLOAD)?;
            Ok(Answer::Failed(String::from_utf8_lossy(&text).into_owned()))
        }
        _ => Err(invalid("unknown answer")),
    }
}

fn write_payload(out: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&n| n <= MAX_PAYLOAD)
        .ok_or_else(|| invalid("message too long"))?;
    out.write_all(&len.to_be_bytes())?;
    out.write_all(payload)
}

fn read_payload(input: &mut impl Read, max: u32) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    input.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len);
    if len > max {
        return Err(invalid("message too long"));
    }
    // Grown as bytes arrive, not allocated on the sender's word.
    let mut payload = Vec::new();
    input.take(u64::from(len)).read_to_end(&mut payload)?;
    if payload.len() != len as usize {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(payload)
}

fn read_byte(input: &mut impl Read) -> io::Result<u8> {
    let mut byte = [0u8; 1];
    input.read_exact(&mut byte)?;
    Ok(byte[0])
}

/// A stream that must be done by one moment, however its reads and writes are split: a
/// timeout per read alone lets a peer that sends a byte a second hold the other side forever.
pub struct Deadline<'a> {
    stream: &'a UnixStream,
    end: Instant,
}

impl<'a> Deadline<'a> {
    pub fn new(stream: &'a UnixStream, within: Duration) -> Self {
        Deadline {
            stream,
            end: Instant::now() + within,
        }
    }

    fn left(&self) -> io::Result<Duration> {
        // A zero timeout would mean none at all to the socket.
        Some(self.end.saturating_duration_since(Instant::now()))
            .filter(|left| !left.is_zero())
            .ok_or_else(out_of_time)
    }
}

/// The same error whether the deadline passed between two reads or during one (where the
/// socket reports it as `WouldBlock`).
fn out_of_time() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "out of time")
}

fn timed_out(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        out_of_time()
    } else {
        e
    }
}

impl Read for Deadline<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.set_read_timeout(Some(self.left()?))?;
        (&mut &*self.stream).read(buf).map_err(timed_out)
    }
}

impl Write for Deadline<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.set_write_timeout(Some(self.left()?))?;
        (&mut &*self.stream).write(buf).map_err(timed_out)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn invalid(why: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_answers_survive_the_wire() {
        let stanza = Stanza {
            tag: "X25519".into(),
            args: vec!["abc".into()],
            body: vec![0, 1, 255],
        };
        let mut wire = Vec::new();
        write_request(&mut wire, &Request::Unwrap(vec![stanza])).unwrap();
        let Request::Unwrap(back) = read_request(&mut &wire[..]).unwrap() else {
            panic!("not an unwrap")
        };
        assert_eq!(
            (back[0].tag.as_str(), &back[0].args, &back[0].body),
            ("X25519", &vec!["abc".to_owned()], &vec![0, 1, 255])
        );

        let key = FileKey::new(Box::new([7; FILE_KEY_BYTES]));
        let mut wire = Vec::new();
        write_answer(&mut wire, &Answer::FileKey(key)).unwrap();
        assert_eq!(wire.len(), 17);
        let Answer::FileKey(back) = read_answer(&mut &wire[..]).unwrap() else {
            panic!("not a key")
        };
        assert_eq!(back.expose_secret(), &[7; FILE_KEY_BYTES]);
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        for bad in [
            &b""[..],
            b"Z",
            b"U",
            b"U\x00\x00\x00\x05[1,2",
            b"U\xff\xff\xff\xff",
            b"U\x00\x00\x00\x02{}",
        ] {
            assert!(read_request(&mut &bad[..]).is_err(), "{bad:?}");
        }
        for bad in [&b""[..], b"K\x01\x02", b"I\x00\x00\x00\x01x", b"?"] {
            assert!(read_answer(&mut &bad[..]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_request_past_the_bound_is_refused_before_it_is_read() {
        let mut wire = b"U".to_vec();
        wire.extend_from_slice(&(MAX_REQUEST + 1).to_be_bytes());
        // No payload follows: a refusal must come from the length alone.
        let err = read_request(&mut &wire[..]).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);

        let huge = Stanza {
            tag: "X25519".into(),
            args: vec![],
            body: vec![0; MAX_REQUEST as usize],
        };
        assert!(write_request(&mut Vec::new(), &Request::Unwrap(vec![huge])).is_err());
    }

    #[test]
    fn a_deadline_bounds_the_whole_exchange_not_each_read() {
        let (mut trickle, reader) = UnixStream::pair().unwrap();
        let writer = std::thread::spawn(move || {
            // Each byte well within any per-read timeout, for far longer than the deadline.
            for _ in 0..40 {
                if trickle.write_all(b"x").is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let started = Instant::now();
        let mut buf = [0u8; 100];
        let err = Deadline::new(&reader, Duration::from_millis(300))
            .read_exact(&mut buf)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        drop(reader);
        writer.join().unwrap();
    }
}
