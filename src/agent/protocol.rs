//! What client and agent say on the socket: one request and one answer per connection.
//!
//! A request is one byte (`I` info, `U` unwrap, `W` sign, `S` stop); for `U` a length (u32,
//! big endian) and the age header's recipient stanzas as JSON: public data, as in any age file;
//! for `W` the 32-byte digest of a vault document to sign with the identity's writer key.
//! The answers: `I` + length + JSON [`Info`]; `K` + the 16-byte file key, raw, so it never sits
//! in a text buffer; `G` + the 64-byte signature; `N` no stanza is ours; `O` stopping;
//! `E` + length + a message.

use std::io::{self, Read, Write};

use age_core::format::{FILE_KEY_BYTES, FileKey, Stanza};
use age_core::secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::writer::Digest;

/// Far above any real header (a stanza is a few hundred bytes); keeps a bad client from
/// making the agent allocate at will.
pub const MAX_PAYLOAD: u32 = 1 << 20;

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
            let json = read_payload(input)?;
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
            let json = read_payload(input)?;
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
            let text = read_payload(input)?;
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

fn read_payload(input: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    input.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len);
    if len > MAX_PAYLOAD {
        return Err(invalid("message too long"));
    }
    let mut payload = vec![0u8; len as usize];
    input.read_exact(&mut payload)?;
    Ok(payload)
}

fn read_byte(input: &mut impl Read) -> io::Result<u8> {
    let mut byte = [0u8; 1];
    input.read_exact(&mut byte)?;
    Ok(byte[0])
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
}
