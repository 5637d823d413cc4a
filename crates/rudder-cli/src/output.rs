//! Printing helpers shared by the commands.

/// Formats an error chain on one line: `outer: inner: root`, skipping a source whose
/// text is already contained in its parent's message.
pub fn one_line(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(text.lines().next().unwrap_or(""));
    }
    out
}
