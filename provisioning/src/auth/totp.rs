//! Time-based one-time codes (RFC 6238) for the staff second factor.
//!
//! HMAC-SHA1, 6 digits and 30-second steps: the only parameters every authenticator
//! app supports. SHA-1's collision weakness does not matter inside HMAC.
use std::fmt;

use data_encoding::{BASE32_NOPAD, BASE32_NOPAD_NOCASE};
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use super::AuthError;

const STEP_SECONDS: u64 = 30;
const DIGITS: u32 = 6;

/// Everything but RFC 3986 unreserved characters, so `:` in a name cannot split the label.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The key shared with a staff member's authenticator. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret([u8; TotpSecret::BYTES]);

impl TotpSecret {
    /// 160 bits, the length RFC 4226 recommends and the HMAC-SHA1 output size.
    pub const BYTES: usize = 20;

    pub fn generate() -> Result<Self, AuthError> {
        let mut key = [0u8; Self::BYTES];
        getrandom::fill(&mut key).map_err(AuthError::Randomness)?;
        Ok(Self(key))
    }

    /// RFC 4648 base32 without padding, as authenticator apps expect.
    pub fn to_base32(&self) -> String {
        BASE32_NOPAD.encode(&self.0)
    }

    /// Reads [`Self::to_base32`] output; tolerates lower case and spaces, as people type it.
    pub fn from_base32(text: &str) -> Result<Self, AuthError> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = BASE32_NOPAD_NOCASE
            .decode(compact.as_bytes())
            .map_err(|_| AuthError::MalformedTotpSecret { bytes: Self::BYTES })?;
        let key = bytes.try_into().map_err(|_| AuthError::MalformedTotpSecret { bytes: Self::BYTES })?;
        Ok(Self(key))
    }

    /// The `otpauth://` URI to show as a QR code when the second factor is set up.
    pub fn provisioning_uri(&self, issuer: &str, account: &str) -> String {
        let issuer = utf8_percent_encode(issuer, URI_COMPONENT);
        let account = utf8_percent_encode(account, URI_COMPONENT);
        format!(
            "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            self.to_base32()
        )
    }

    /// The code an authenticator shows at `unix_time` (seconds).
    pub fn code_at(&self, unix_time: u64) -> String {
        self.code_for_step(unix_time / STEP_SECONDS, DIGITS)
    }

    /// Checks `code` against the steps just before, at and after `unix_time`, to allow
    /// for clock drift, and returns the matched step.
    ///
    /// Steps at or before `last_used_step` are refused, so a code works once: store the
    /// returned step and pass it back next time. Anything but 6 ASCII digits is refused.
    pub fn verify(&self, code: &str, unix_time: u64, last_used_step: Option<u64>) -> Option<u64> {
        if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let current = unix_time / STEP_SECONDS;
        let mut matched = None;
        // No early exit: every candidate step costs the same whether or not it matches.
        for step in [current.checked_sub(1), Some(current), Some(current + 1)].into_iter().flatten() {
            if last_used_step.is_some_and(|used| step <= used) {
                continue;
            }
            let expected = self.code_for_step(step, DIGITS);
            if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
                matched = Some(step);
            }
        }
        matched
    }

    /// RFC 4226 HOTP with dynamic truncation, zero-padded to `digits`.
    fn code_for_step(&self, step: u64, digits: u32) -> String {
        let mut mac = match Hmac::<Sha1>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        };
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = usize::from(digest[digest.len() - 1] & 0x0f);
        let word = [digest[offset], digest[offset + 1], digest[offset + 2], digest[offset + 3]];
        let value = u32::from_be_bytes(word) & 0x7fff_ffff;
        format!("{:0width$}", value % 10u32.pow(digits), width = digits as usize)
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> TotpSecret {
        TotpSecret(*b"12345678901234567890")
    }

    #[test]
    fn the_rfc_6238_sha1_vectors_match_with_eight_digits() {
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (time, code) in vectors {
            assert_eq!(rfc_secret().code_for_step(time / STEP_SECONDS, 8), code, "at {time}");
        }
    }

    #[test]
    fn the_public_code_is_the_last_six_digits_of_the_rfc_vector() {
        assert_eq!(rfc_secret().code_at(59), "287082");
        assert_eq!(rfc_secret().code_at(1_111_111_109), "081804");
    }

    #[test]
    fn the_current_code_is_accepted_and_returns_its_step() {
        let secret = rfc_secret();
        let now = 1_111_111_111;
        assert_eq!(secret.verify(&secret.code_at(now), now, None), Some(now / 30));
    }

    #[test]
    fn a_code_from_the_previous_step_is_accepted_once() {
        let secret = rfc_secret();
        let now = 1_111_111_111;
        let code = secret.code_at(now - 30);
        let step = secret.verify(&code, now, None);
        assert_eq!(step, Some(now / 30 - 1));
        assert_eq!(secret.verify(&code, now, step), None);
    }

    #[test]
    fn a_code_from_the_next_step_is_accepted() {
        let secret = rfc_secret();
        let now = 1_111_111_111;
        assert_eq!(secret.verify(&secret.code_at(now + 30), now, None), Some(now / 30 + 1));
    }

    #[test]
    fn a_code_two_steps_away_is_refused() {
        let secret = rfc_secret();
        let now = 1_111_111_111;
        assert_eq!(secret.verify(&secret.code_at(now - 60), now, None), None);
        assert_eq!(secret.verify(&secret.code_at(now + 60), now, None), None);
    }

    #[test]
    fn a_used_code_is_refused_when_replayed() {
        let secret = rfc_secret();
        let now = 1_111_111_111;
        let code = secret.code_at(now);
        let used = secret.verify(&code, now, None);
        assert!(used.is_some());
        assert_eq!(secret.verify(&code, now + 5, used), None);
    }

    #[test]
    fn an_older_code_is_refused_after_a_newer_one_was_used() {
        let secret = rfc_secret();
        let now = 1_111_111_111;
        assert_eq!(secret.verify(&secret.code_at(now - 30), now, Some(now / 30)), None);
    }

    #[test]
    fn a_code_at_the_first_step_checks_no_negative_step() {
        let secret = rfc_secret();
        assert_eq!(secret.verify(&secret.code_at(0), 0, None), Some(0));
    }

    #[test]
    fn anything_but_six_digits_is_refused() {
        let secret = rfc_secret();
        let now = 59;
        assert_eq!(secret.code_at(now), "287082");
        for bad in
            ["", "28708", "2870820", "94287082", "28708a", " 287082", "287082 ", "287 082", "+287082", "２８７０８２"]
        {
            assert_eq!(secret.verify(bad, now, None), None, "{bad:?}");
        }
    }

    #[test]
    fn base32_is_rfc_4648_without_padding_and_round_trips() {
        assert_eq!(rfc_secret().to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let secret = TotpSecret::generate().unwrap();
        assert_eq!(TotpSecret::from_base32(&secret.to_base32()).unwrap(), secret);
    }

    #[test]
    fn base32_as_people_type_it_is_accepted() {
        assert_eq!(TotpSecret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap(), rfc_secret());
    }

    #[test]
    fn base32_of_the_wrong_length_or_alphabet_is_refused() {
        for bad in ["", "GEZDGNBVGY3TQOJQ", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGE", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1"] {
            let err = TotpSecret::from_base32(bad).unwrap_err();
            assert_eq!(err.to_string(), "the authenticator secret must be 20 bytes written in base32", "{bad:?}");
        }
    }

    #[test]
    fn generated_secrets_differ() {
        assert_ne!(TotpSecret::generate().unwrap(), TotpSecret::generate().unwrap());
    }

    #[test]
    fn the_provisioning_uri_percent_encodes_issuer_and_account() {
        let uri = rfc_secret().provisioning_uri("Civitas Hosting", "anna.müller+ops@example.org");
        assert_eq!(
            uri,
            "otpauth://totp/Civitas%20Hosting:anna.m%C3%BCller%2Bops%40example.org\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Civitas%20Hosting&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn a_colon_in_the_account_cannot_split_the_label() {
        let uri = rfc_secret().provisioning_uri("Civitas", "ops:admin");
        assert!(uri.starts_with("otpauth://totp/Civitas:ops%3Aadmin?"), "{uri}");
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let shown = format!("{:?}", rfc_secret());
        assert!(!shown.contains("GEZD") && !shown.contains("49"), "{shown}");
    }
}
