//! TOTP codes (RFC 6238) from an entry's `totp`: an `otpauth://totp/…` URI, as sites show in
//! their QR codes, or a bare base32 secret (SHA-1, 6 digits, 30 s, the defaults everywhere).
//! The arithmetic is totp-rs's; reading the URI's few parameters is done here, which keeps a
//! URL parser (and its Unicode tables) out of the build.

use std::time::{SystemTime, UNIX_EPOCH};

use totp_rs::{Algorithm, Builder, Secret as KeyBytes, Totp};
use zeroize::Zeroizing;

/// Why a `totp` value cannot make codes. Never quotes the value: it is a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OtpError(&'static str);

/// One code and how long it stays valid.
pub struct Code {
    pub digits: Zeroizing<String>,
    pub period: u64,
    pub seconds_left: u64,
}

/// The code for `spec` at `unix_time` (seconds).
pub fn code_at(spec: &str, unix_time: u64) -> Result<Code, OtpError> {
    let (totp, period) = parse(spec)?;
    Ok(Code {
        digits: Zeroizing::new(totp.generate(unix_time).to_string()),
        period,
        seconds_left: period - unix_time % period,
    })
}

/// The code for `spec` now.
pub fn current(spec: &str) -> Result<Code, OtpError> {
    code_at(spec, now())
}

/// Checks that `spec` makes codes, without making one: for `add`/`edit`, before saving.
pub fn validate(spec: &str) -> Result<(), OtpError> {
    parse(spec).map(|_| ())
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn parse(spec: &str) -> Result<(Totp, u64), OtpError> {
    let spec = spec.trim();
    let mut algorithm = Algorithm::SHA1;
    let mut digits = 6;
    let mut period = 30;
    let secret = if let Some(rest) = strip_prefix_ignore_case(spec, "otpauth://") {
        let (kind, query) = rest.split_once('/').map_or((rest, ""), |(kind, label)| {
            (kind, label.split_once('?').map_or("", |(_, q)| q))
        });
        if kind.eq_ignore_ascii_case("hotp") {
            return Err(OtpError(
                "otpauth://hotp (counter-based) is not supported, only totp",
            ));
        }
        if !kind.eq_ignore_ascii_case("totp") {
            return Err(OtpError("an otpauth URI must start otpauth://totp/"));
        }
        let mut secret = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value)?;
            match key.to_ascii_lowercase().as_str() {
                "secret" => secret = Some(value),
                "algorithm" => {
                    algorithm = match value.to_ascii_uppercase().as_str() {
                        "SHA1" => Algorithm::SHA1,
                        "SHA256" => Algorithm::SHA256,
                        "SHA512" => Algorithm::SHA512,
                        _ => return Err(OtpError("algorithm must be SHA1, SHA256 or SHA512")),
                    }
                }
                "digits" => {
                    digits = value
                        .parse()
                        .ok()
                        .filter(|d| (6..=8).contains(d))
                        .ok_or(OtpError("digits must be 6, 7 or 8"))?;
                }
                "period" => {
                    period = value
                        .parse()
                        .ok()
                        .filter(|p| (1..=86_400).contains(p))
                        .ok_or(OtpError("period must be 1 to 86400 seconds"))?;
                }
                // issuer, image and the like say nothing about the code.
                _ => {}
            }
        }
        secret.ok_or(OtpError("the otpauth URI has no secret parameter"))?
    } else {
        Zeroizing::new(spec.to_owned())
    };
    let key = decode_base32(&secret)?;
    let totp = Builder::new()
        .with_algorithm(algorithm)
        .with_digits(digits)
        .with_step_duration(period)
        // Many sites hand out 80-bit keys, shorter than RFC 4226's recommended 128.
        .with_secret(key)
        .build_noncompliant();
    Ok((totp, period))
}

fn decode_base32(text: &str) -> Result<KeyBytes, OtpError> {
    // Written in groups, in lower case, or padded: all the same key.
    let cleaned: Zeroizing<String> = Zeroizing::new(
        text.chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '=')
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    );
    if cleaned.is_empty() {
        return Err(OtpError("the TOTP secret is empty"));
    }
    let key = KeyBytes::try_from_base32(cleaned.as_str())
        .map_err(|_| OtpError("the TOTP secret is not base32 (A-Z, 2-7)"))?;
    if key.as_ref().is_empty() {
        return Err(OtpError("the TOTP secret is empty"));
    }
    Ok(key)
}

fn percent_decode(value: &str) -> Result<Zeroizing<String>, OtpError> {
    let bad = OtpError("the otpauth URI has a bad %-escape");
    let bytes = value.as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len()));
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or(bad.clone())?;
            let hex = std::str::from_utf8(hex).map_err(|_| bad.clone())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad.clone())?);
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8(std::mem::take(&mut *out))
        .map(Zeroizing::new)
        .map_err(|e| {
            zeroize::Zeroize::zeroize(&mut e.into_bytes());
            bad
        })
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B: the ASCII seeds "12345678901234567890" (SHA-1), the same to 32 bytes
    // (SHA-256) and to 64 bytes (SHA-512), 8 digits, 30 s steps.
    const SHA1_KEY: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    const SHA256_KEY: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA";
    const SHA512_KEY: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA";

    fn uri(key: &str, algorithm: &str) -> String {
        format!("otpauth://totp/ACME:dustin?secret={key}&algorithm={algorithm}&digits=8&period=30")
    }

    #[test]
    fn rfc_6238_test_vectors() {
        let vectors: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1_111_111_109, "07081804", "68084774", "25091201"),
            (1_111_111_111, "14050471", "67062674", "99943326"),
            (1_234_567_890, "89005924", "91819424", "93441116"),
            (2_000_000_000, "69279037", "90698825", "38618901"),
            (20_000_000_000, "65353130", "77737706", "47863826"),
        ];
        for (time, sha1, sha256, sha512) in vectors {
            for (key, algorithm, want) in [
                (SHA1_KEY, "SHA1", sha1),
                (SHA256_KEY, "SHA256", sha256),
                (SHA512_KEY, "SHA512", sha512),
            ] {
                let code = code_at(&uri(key, algorithm), time).unwrap();
                assert_eq!(code.digits.as_str(), want, "{algorithm} at {time}");
            }
        }
    }

    #[test]
    fn a_bare_secret_means_sha1_six_digits_thirty_seconds() {
        let code = code_at(SHA1_KEY, 59).unwrap();
        assert_eq!(code.digits.as_str(), "287082");
        assert_eq!((code.period, code.seconds_left), (30, 1));
        // Lower case, spaces and padding as people paste them.
        let pasted = "gezd gnbv gy3t qojq gezd gnbv gy3t qojq";
        assert_eq!(code_at(pasted, 59).unwrap().digits.as_str(), "287082");
    }

    #[test]
    fn uri_parameters_are_read() {
        let key = "JBSWY3DPEHPK3PXP"; // 80 bits, as many sites issue
        let spec =
            format!("otpauth://totp/Site%3Aa%40b.c?issuer=Site&secret={key}&period=60&digits=7");
        let code = code_at(&spec, 119).unwrap();
        assert_eq!(code.digits.len(), 7);
        assert_eq!((code.period, code.seconds_left), (60, 1));
        let bare = code_at(key, 119).unwrap();
        assert_ne!(code.digits.as_str(), bare.digits.as_str());
    }

    #[test]
    fn bad_values_are_refused_without_quoting_them() {
        for (spec, why) in [
            ("", "empty"),
            ("not base32!", "base32"),
            ("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=1", "hotp"),
            ("otpauth://totp/x?issuer=a", "no secret"),
            (
                "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=9",
                "digits",
            ),
            (
                "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5",
                "algorithm",
            ),
            (
                "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0",
                "period",
            ),
            ("otpauth://totp/x?secret=%G1", "escape"),
        ] {
            let err = validate(spec).unwrap_err().to_string();
            assert!(err.contains(why), "{spec:?}: {err}");
            assert!(!err.contains("JBSWY3DPEHPK3PXP"));
        }
    }
}
