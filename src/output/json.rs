//! The machine line for the Ansible side and monitoring:
//! `{"check":..,"target":..,"healthy":..,"reason":..,"elapsed":seconds}`.

use super::OutputFormat;
use crate::verdict::Verdict;

pub const FORMAT: OutputFormat = OutputFormat {
    name: "json",
    render,
    contract: super::Contract::Engine,
};

pub fn render(v: &Verdict, max: usize) -> String {
    // Bound the free-text fields first so the JSON stays valid under the byte cap.
    let target = super::one_line(&v.target, 160);
    let mut reason_cap = max
        .saturating_sub(target.len() + v.check.len() + 120)
        .max(40);
    loop {
        let reason = super::one_line(&v.reason, reason_cap);
        let line = serde_json::json!({
            "check": super::one_line(&v.check, 80),
            "target": target,
            "healthy": v.healthy(),
            "reason": reason,
            "elapsed": (v.elapsed.as_secs_f64() * 1e6).round() / 1e6,
        })
        .to_string();
        if line.len() <= max || reason_cap <= 16 {
            return line;
        }
        // Escaping can grow the text; shrink until it fits.
        reason_cap = reason_cap.saturating_sub(line.len() - max + 8).max(16);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn stays_valid_and_bounded() {
        let v = Verdict::failure(
            "http",
            "http://x/",
            "\"quoted\" \\ ".repeat(200),
            Duration::from_millis(5),
        );
        let line = render(&v, 500);
        assert!(line.len() <= 500, "{}", line.len());
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["healthy"], false);
        assert_eq!(parsed["check"], "http");
    }
}
