//! Temporary probe: one SMS body per line on stdin ("sms|body") or a path to a raw email ("eml|path").
use std::io::BufRead;
fn main() {
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let line = line.replace("\\n", "\n");
        if let Some(html) = line.strip_prefix("html|") {
            let (c, l) = orthrus_extract::extract_text(None, "", Some(html));
            println!(
                "{:<12} {:?} <= {}",
                c.unwrap_or_else(|| "-".into()),
                l,
                html.chars().take(90).collect::<String>()
            );
        } else if let Some(path) = line.strip_prefix("eml|") {
            let raw = std::fs::read(path).unwrap_or_default();
            let e = orthrus_extract::extract_email(&raw);
            println!("{:?} {:?} <= {path}", e.code, e.confirm_link);
        } else {
            let e = orthrus_extract::extract_sms("x", &line);
            println!(
                "{:<12} {:?} <= {}",
                e.code.unwrap_or_else(|| "-".into()),
                e.confirm_link,
                line.replace('\n', " / ")
            );
        }
    }
}
