//! How messages show what a memory did: the same words from every command
//! and from the server.

/// "stored N new units (M duplicates skipped) in LOCATION".
pub fn stored_in(new: u64, duplicates: u64, location: &str) -> String {
    format!(
        "stored {new} new unit{} ({duplicates} duplicate{} skipped) in {location}",
        if new == 1 { "" } else { "s" },
        if duplicates == 1 { "" } else { "s" },
    )
}

/// Stored text made safe for a terminal: control characters (ESC, BEL,
/// C1 controls, DEL, and tabs or line breaks inside a segment) and bidi
/// overrides are shown as `\u{..}` escapes, so a unit cannot move the cursor, retitle the window or
/// clear the screen. JSON output needs no such care: serde escapes them.
pub fn terminal_safe(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(unsafe_on_terminal) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_on_terminal(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Control characters, and the bidirectional embeddings, overrides and
/// isolates (U+202A–U+202E, U+2066–U+2069): a stored U+202E would
/// reverse the rest of the line on the terminal, so that what is shown is
/// not what is stored ("Trojan Source"). The marks U+200E/U+200F, which
/// right-to-left text needs, are shown as they are.
fn unsafe_on_terminal(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}
