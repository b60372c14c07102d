//! "Did you mean ...?" by edit distance.

/// The candidate closest to `word`, when close enough to be a likely typo: within a third of the
/// word's length in edits (at least 2), or one contains the other (`host` / `hostname`).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .filter_map(|c| {
            let distance = strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase());
            let contains = lower.len() >= 4 && (c.contains(lower.as_str()) || lower.contains(c));
            // A key written without its prefix or suffix (`host`, `database`) beats an edit.
            if contains {
                Some((0, c))
            } else if distance <= limit {
                Some((distance + 1, c))
            } else {
                None
            }
        })
        .min_by_key(|(d, c)| (*d, c.len()))
        .map(|(_, c)| c)
}

/// `" did you mean 'x'?"` or nothing, to append to a message.
pub fn hint<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    did_you_mean(word, candidates).map(|c| format!("did you mean '{c}'?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_and_prefix_slips() {
        let keys = ["hostname", "slot.name", "database-name", "connection.pool.size", "port"];
        assert_eq!(did_you_mean("slot-name", keys), Some("slot.name"));
        assert_eq!(did_you_mean("host", keys), Some("hostname"));
        assert_eq!(did_you_mean("connect.pool.size", keys), Some("connection.pool.size"));
        assert_eq!(did_you_mean("database", keys), Some("database-name"));
        assert_eq!(did_you_mean("Port", keys), Some("port"));
        assert_eq!(did_you_mean("completely-different", keys), None);
    }
}
