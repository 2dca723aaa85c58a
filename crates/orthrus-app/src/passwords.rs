//! The password generator: random characters from chosen classes, or a
//! memorable passphrase of words.

use crate::InvalidCode;
use crate::{App, AppError, Result};
use serde::Deserialize;

/// How to generate a password.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordPolicy {
    pub length: usize,
    pub lowercase: bool,
    pub uppercase: bool,
    pub digits: bool,
    pub symbols: bool,
    /// Words joined by `-` with a digit, instead of random characters;
    /// `length` is then the number of words.
    pub memorable: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            length: 20,
            lowercase: true,
            uppercase: true,
            digits: true,
            symbols: true,
            memorable: false,
        }
    }
}

const LOWER: &str = "abcdefghijkmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &str = "23456789";
const SYMBOLS: &str = "!#$%&*+-=?@^_~";

/// Short, common, unambiguous words for memorable passwords (256 words: 8 bits each).
const WORDS: &[&str] = &[
    "acid", "acorn", "actor", "agent", "alarm", "album", "alley", "amber", "angle", "ankle",
    "apple", "april", "apron", "arena", "arrow", "atlas", "attic", "audio", "award", "bacon",
    "badge", "bagel", "baker", "bamboo", "banjo", "barn", "basil", "basin", "batch", "beach",
    "beard", "bench", "berry", "bison", "blade", "blaze", "blend", "bloom", "board", "boat",
    "bonus", "boots", "brain", "brass", "bread", "brick", "broom", "brush", "cabin", "cable",
    "cacao", "camel", "candy", "canoe", "cargo", "carol", "cedar", "chalk", "charm", "chart",
    "chef", "chess", "chili", "chord", "cider", "cinema", "civic", "clay", "cliff", "cloud",
    "clover", "coast", "cobra", "cocoa", "comet", "coral", "couch", "crane", "crisp", "crown",
    "cubic", "curry", "cycle", "daisy", "dance", "delta", "denim", "depot", "diary", "disco",
    "dodge", "dome", "donut", "dozen", "draft", "dream", "drift", "drum", "eagle", "earth",
    "easel", "ember", "empty", "epoch", "equal", "fable", "fairy", "falcon", "fancy", "feast",
    "fence", "ferry", "fiber", "field", "flame", "flask", "fleet", "flint", "flute", "focus",
    "forge", "fossil", "frame", "frost", "fruit", "fudge", "gable", "galaxy", "garden", "gecko",
    "ghost", "giant", "ginger", "glass", "globe", "glove", "grape", "gravy", "guitar", "habit",
    "harbor", "hazel", "heron", "hinge", "honey", "horizon", "hotel", "humor", "igloo", "index",
    "ivory", "jacket", "jelly", "jewel", "jolly", "judge", "juice", "kayak", "kettle", "kiosk",
    "koala", "label", "ladder", "lagoon", "lemon", "lever", "lilac", "linen", "llama", "lobby",
    "lotus", "lunar", "magnet", "mango", "maple", "marble", "meadow", "melon", "metro", "mimic",
    "mint", "mocha", "model", "moose", "mosaic", "motor", "mural", "nectar", "noble", "noodle",
    "novel", "oasis", "ocean", "olive", "omega", "onion", "opera", "orbit", "otter", "oxide",
    "paddle", "panda", "paper", "parade", "pastel", "peach", "pearl", "pepper", "piano", "pilot",
    "pixel", "plaza", "plume", "polar", "poppy", "prism", "pulse", "quartz", "quest", "quilt",
    "radar", "radio", "raven", "relay", "ridge", "river", "robin", "rocket", "royal", "ruby",
    "saddle", "salad", "salmon", "sauce", "scout", "shelf", "shore", "silver", "sketch", "slate",
    "solar", "spice", "spoon", "spruce", "squid", "stamp", "storm", "sugar", "summit", "syrup",
    "table", "tango", "tiger", "timber", "toast", "tulip",
];

impl App {
    /// Uniform random index below `n` (rejection sampling, no modulo bias).
    pub(crate) fn random_below(&self, n: usize) -> usize {
        let n32 = u32::try_from(n).unwrap_or(u32::MAX);
        let zone = u32::MAX - (u32::MAX % n32);
        loop {
            let mut b = [0u8; 4];
            self.rng().fill(&mut b);
            let v = u32::from_le_bytes(b);
            if v < zone {
                return (v % n32) as usize;
            }
        }
    }

    /// Generates a password; with several classes, every chosen class appears.
    pub fn generate_password(&self, p: &PasswordPolicy) -> Result<String> {
        if p.memorable {
            if !(3..=12).contains(&p.length) {
                return Err(AppError::invalid(
                    InvalidCode::GeneratorInvalidLength,
                    "memorable passwords have 3 to 12 words",
                ));
            }
            let mut words: Vec<String> = (0..p.length)
                .map(|_| WORDS[self.random_below(WORDS.len())].to_owned())
                .collect();
            let i = self.random_below(words.len());
            words[i] = format!("{}{}", capitalize(&words[i]), self.random_below(10));
            return Ok(words.join("-"));
        }
        let classes: Vec<&str> = [
            (p.lowercase, LOWER),
            (p.uppercase, UPPER),
            (p.digits, DIGITS),
            (p.symbols, SYMBOLS),
        ]
        .into_iter()
        .filter_map(|(on, set)| on.then_some(set))
        .collect();
        if classes.is_empty() {
            return Err(AppError::invalid(
                InvalidCode::GeneratorNoClasses,
                "choose at least one kind of character",
            ));
        }
        if !(classes.len().max(8)..=128).contains(&p.length) {
            return Err(AppError::invalid(
                InvalidCode::GeneratorInvalidLength,
                "passwords are 8 to 128 characters long",
            ));
        }
        let all: Vec<char> = classes.iter().flat_map(|c| c.chars()).collect();
        loop {
            let pw: String = (0..p.length)
                .map(|_| all[self.random_below(all.len())])
                .collect();
            if classes.iter().all(|c| pw.chars().any(|ch| c.contains(ch))) {
                return Ok(pw);
            }
        }
    }
}

fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn word_list_has_256_unique_words() {
        let mut w = super::WORDS.to_vec();
        w.sort_unstable();
        w.dedup();
        assert_eq!(w.len(), 256);
    }
}
