//! Base-36 digits (0-9, A-Z): the QR code's short link writes the session id and the rotating
//! token in them, because QR's alphanumeric mode packs them denser than bytes.

const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// `n` in `width` upper-case base-36 digits (the low ones, when `n` needs more).
pub fn encode(mut n: u128, width: usize) -> String {
    let mut digits = vec![b'0'; width];
    for digit in digits.iter_mut().rev() {
        *digit = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    digits.into_iter().map(char::from).collect()
}

/// The value of one base-36 digit, either case.
pub fn digit_value(c: u8) -> Option<u32> {
    char::from(c).to_digit(36)
}

/// The value of base-36 `text` (either case); `None` for another character or a value over
/// `u128`.
pub fn decode(text: &str) -> Option<u128> {
    text.bytes().try_fold(0u128, |n, c| n.checked_mul(36)?.checked_add(u128::from(digit_value(c)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_round_trip_in_either_case() {
        assert_eq!(encode(35, 2), "0Z");
        assert_eq!(encode(36 * 36 + 1, 2), "01", "only the low digits fit");
        assert_eq!(decode("0z"), Some(35));
        assert_eq!(decode(&encode(u128::MAX, 25)), Some(u128::MAX));
        assert_eq!(decode("-1"), None);
        assert_eq!(decode(&"Z".repeat(25)), None, "over u128");
    }
}
