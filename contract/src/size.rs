//! Byte sizes as people write them (`256MB`, `64MiB`, `512k`, `4096`), and
//! the smallest store budgets and value cap the hub accepts. The hub's
//! flags and the lab file's `[hub]` table both read sizes here.

/// The smallest trace or log store byte budget.
pub const MIN_STORE_BYTES: usize = 1 << 20;
/// The smallest cap on a string value kept in a span or log record.
pub const MIN_ATTR_VALUE_MAX: usize = 64;

/// Reads a byte size: `256MB`, `64MiB`, `512k`, `1G` or a plain number of
/// bytes (K/M/G are powers of 1024 either way).
pub fn parse_bytes(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: usize = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size (e.g. 256MB, 64MiB, 1048576)"))?;
    let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("{s:?}: unknown unit {other:?} (use KB, MB or GB)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("{s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units_and_bad_ones_say_why() {
        assert_eq!(parse_bytes("256MB"), Ok(256 << 20));
        assert_eq!(parse_bytes("64MiB"), Ok(64 << 20));
        assert_eq!(parse_bytes("512k"), Ok(512 << 10));
        assert_eq!(parse_bytes("1G"), Ok(1 << 30));
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert!(
            parse_bytes("12 parsecs")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(parse_bytes("MB").unwrap_err().contains("not a size"));
        assert!(
            parse_bytes("99999999999999G")
                .unwrap_err()
                .contains("too large")
        );
    }
}
