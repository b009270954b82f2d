//! Timestamps in the TMX form `YYYYMMDDThhmmssZ` (UTC).
//!
//! Written here rather than pulling in a date crate: the memory only ever
//! needs "now" in this one fixed format.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current UTC time as `YYYYMMDDThhmmssZ`.
pub fn now_tmx() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    format_tmx(secs)
}

/// Formats seconds since the Unix epoch as `YYYYMMDDThhmmssZ`.
pub fn format_tmx(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::format_tmx;

    #[test]
    fn known_dates() {
        assert_eq!(format_tmx(0), "19700101T000000Z");
        assert_eq!(format_tmx(951_782_400), "20000229T000000Z");
        assert_eq!(format_tmx(1_485_648_000 + 3661), "20170129T010101Z");
    }
}
