//! Which writing system a text is in, checked against its declared language.
//!
//! `align --from ru --to en` on an English/Russian pair would store Russian
//! text tagged `en` and the reverse, and every later lookup would miss it.
//! The letters of each side tell: a language we know is written in one
//! script (two for Japanese and Korean), and a side whose letters are mostly
//! in another script is not in that language. Latin names inside Russian
//! text, or a Russian quote in an English one, are a minority and pass.

use std::fmt;

/// The scripts we tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Script {
    /// Latin letters (English, French, German, …).
    Latin,
    /// Cyrillic (Russian, Ukrainian, Bulgarian, …).
    Cyrillic,
    /// Greek.
    Greek,
    /// Arabic (also Persian, Urdu).
    Arabic,
    /// Hebrew (also Yiddish).
    Hebrew,
    /// Chinese characters (Chinese; also in Japanese).
    Han,
    /// Hiragana and katakana (Japanese).
    Kana,
    /// Hangul (Korean).
    Hangul,
    /// Georgian.
    Georgian,
    /// Armenian.
    Armenian,
    /// Devanagari (Hindi, Marathi, Nepali).
    Devanagari,
    /// Thai.
    Thai,
}

impl fmt::Display for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Script::Latin => "Latin",
            Script::Cyrillic => "Cyrillic",
            Script::Greek => "Greek",
            Script::Arabic => "Arabic",
            Script::Hebrew => "Hebrew",
            Script::Han => "Chinese characters (Han)",
            Script::Kana => "Japanese kana",
            Script::Hangul => "Korean Hangul",
            Script::Georgian => "Georgian",
            Script::Armenian => "Armenian",
            Script::Devanagari => "Devanagari",
            Script::Thai => "Thai",
        };
        f.write_str(s)
    }
}

/// The script of one letter, if it is a letter of a script we know.
pub(crate) fn of(c: char) -> Option<Script> {
    if !c.is_alphabetic() {
        return None;
    }
    let u = c as u32;
    Some(match u {
        0x41..=0x24F | 0x1E00..=0x1EFF | 0xFF21..=0xFF5A => Script::Latin,
        0x370..=0x3FF | 0x1F00..=0x1FFF => Script::Greek,
        0x400..=0x52F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => Script::Cyrillic,
        0x530..=0x58F => Script::Armenian,
        0x590..=0x5FF | 0xFB1D..=0xFB4F => Script::Hebrew,
        0x600..=0x6FF | 0x750..=0x77F | 0x8A0..=0x8FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
            Script::Arabic
        }
        0x900..=0x97F => Script::Devanagari,
        0xE00..=0xE7F => Script::Thai,
        0x10A0..=0x10FF | 0x2D00..=0x2D2F => Script::Georgian,
        0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => Script::Hangul,
        0x3040..=0x30FF | 0x31F0..=0x31FF => Script::Kana,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF => Script::Han,
        _ => return None,
    })
}

/// The scripts a language is written in, for the languages we know.
pub(crate) fn expected(lang: &str) -> Option<&'static [Script]> {
    use Script::*;
    let primary = crate::lang::primary(lang).to_ascii_lowercase();
    Some(match primary.as_str() {
        "en" | "de" | "fr" | "es" | "it" | "pt" | "nl" | "pl" | "cs" | "sk" | "sv" | "da"
        | "no" | "nb" | "nn" | "fi" | "et" | "lv" | "lt" | "hu" | "ro" | "hr" | "sl" | "tr"
        | "id" | "ms" | "vi" | "ca" | "eu" | "gl" | "ga" | "is" | "sq" | "af" | "sw" | "la" => {
            &[Latin]
        }
        "ru" | "uk" | "be" | "bg" | "mk" | "kk" | "ky" | "tg" | "mn" => &[Cyrillic],
        "el" => &[Greek],
        "ar" | "fa" | "ur" => &[Arabic],
        "he" | "yi" => &[Hebrew],
        "zh" => &[Han],
        "ja" => &[Han, Kana],
        "ko" => &[Hangul, Han],
        "ka" => &[Georgian],
        "hy" => &[Armenian],
        "hi" | "mr" | "ne" => &[Devanagari],
        "th" => &[Thai],
        // Any other language whose script the IANA registry states
        // (Suppress-Script): `rn` (Rundi) is Latin, `tt` Cyrillic.
        _ => match crate::lang::suppress_script(&primary)? {
            "Latn" => &[Latin],
            "Cyrl" => &[Cyrillic],
            "Grek" => &[Greek],
            "Arab" => &[Arabic],
            "Hebr" => &[Hebrew],
            "Hang" => &[Hangul, Han],
            "Geor" => &[Georgian],
            "Armn" => &[Armenian],
            "Deva" => &[Devanagari],
            "Thai" => &[Thai],
            "Jpan" => &[Han, Kana],
            _ => return None,
        },
    })
}

/// A text whose letters are not in its language's script.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// The script most of the letters are in.
    pub found: Script,
    /// Share of the letters in that script, 0..=1.
    pub share: f64,
    /// The scripts the declared language is written in.
    pub expected: &'static [Script],
}

/// Letters looked at: enough to decide, cheap on a long article.
const SAMPLE: usize = 20_000;
/// Fewer letters than this decide nothing (a title, a list of numbers).
const MIN_LETTERS: usize = 20;

/// Checks that most letters of `text` are in a script of `lang`. `Ok` for a
/// language we do not know, or too few letters to tell.
pub fn check(text: &str, lang: &str) -> Result<(), Mismatch> {
    let Some(want) = expected(lang) else {
        return Ok(());
    };
    let mut counts: Vec<(Script, usize)> = Vec::new();
    let mut total = 0usize;
    for s in text.chars().filter_map(of).take(SAMPLE) {
        total += 1;
        match counts.iter_mut().find(|c| c.0 == s) {
            Some(c) => c.1 += 1,
            None => counts.push((s, 1)),
        }
    }
    if total < MIN_LETTERS {
        return Ok(());
    }
    let ours: usize = counts
        .iter()
        .filter(|c| want.contains(&c.0))
        .map(|c| c.1)
        .sum();
    if ours * 2 >= total {
        return Ok(());
    }
    let (found, n) = counts
        .iter()
        .copied()
        .max_by_key(|c| c.1)
        .unwrap_or((want[0], 0));
    Err(Mismatch {
        found,
        share: n as f64 / total as f64,
        expected: want,
    })
}

/// True when `text` is clearly in a script of `lang` (a language whose
/// script we know, and enough letters to tell).
fn fits(text: &str, lang: &str) -> bool {
    expected(lang).is_some() && check(text, lang).is_ok() && letters(text) >= MIN_LETTERS
}

fn letters(text: &str) -> usize {
    text.chars().filter_map(of).take(MIN_LETTERS).count()
}

fn scripts(s: &[Script]) -> String {
    s.iter()
        .map(Script::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The message for `name`'s text (the file, `<stdin>` or `TEXT`) not
/// being in `lang`'s script, or `None` when it is (or cannot be told).
/// `option` is the option that named `lang` (`--from`); `other` the
/// pair's other language. "Are --from and --to swapped?" is asked only
/// when the text is in `other`'s script; otherwise the nearest languages
/// `held` (the memory's) whose script fits are offered.
pub fn input_mismatch(
    name: &str,
    text: &str,
    lang: &str,
    option: &str,
    other: &str,
    held: &[String],
) -> Option<String> {
    let m = check(text, lang).err()?;
    let hint = if fits(text, other) {
        "are --from and --to swapped?".to_string()
    } else {
        did_you_mean(text, lang, held).unwrap_or_else(|| format!("is {option} right?"))
    };
    Some(mismatch_message(name, &m, lang, option, &hint))
}

/// [`input_mismatch`] for a pair of texts in `from` and `to` (`align`):
/// "swapped?" only when each text is in the other language's script.
pub fn pair_mismatch(
    src: (&str, &str),
    tgt: (&str, &str),
    from: &str,
    to: &str,
    held: &[String],
) -> Option<String> {
    let swapped = fits(src.1, to) && fits(tgt.1, from);
    for ((name, text), lang, option) in [(src, from, "--from"), (tgt, to, "--to")] {
        if let Err(m) = check(text, lang) {
            let hint = if swapped {
                "are --from and --to swapped?".to_string()
            } else {
                did_you_mean(text, lang, held).unwrap_or_else(|| format!("is {option} right?"))
            };
            return Some(mismatch_message(name, &m, lang, option, &hint));
        }
    }
    None
}

fn mismatch_message(name: &str, m: &Mismatch, lang: &str, option: &str, hint: &str) -> String {
    format!(
        "{name}: {:.0}% of its letters are {}, but {option} {lang} is written in {}; {hint} \
         (--force goes on anyway)",
        m.share * 100.0,
        m.found,
        scripts(m.expected)
    )
}

/// "did you mean ru?": the languages of `held` one typo from `lang` whose
/// script the text is in.
fn did_you_mean(text: &str, lang: &str, held: &[String]) -> Option<String> {
    let fitting: Vec<String> = held.iter().filter(|h| fits(text, h)).cloned().collect();
    let near = crate::lang::nearest(lang, &fitting);
    (!near.is_empty()).then(|| format!("did you mean {}?", near.join(" or ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_is_cyrillic_english_latin() {
        let ru = "Министр прибыл в Москву в понедельник, сообщает Reuters.";
        let en = "The minister arrived in Moscow on Monday, Reuters reports.";
        assert!(check(ru, "ru").is_ok() && check(en, "en-US").is_ok());
        let m = check(ru, "en").expect_err("Russian tagged en");
        assert_eq!(m.found, Script::Cyrillic);
        assert!(m.share > 0.8);
        assert_eq!(
            check(en, "ru").expect_err("English tagged ru").found,
            Script::Latin
        );
        // Unknown languages and short texts are not judged.
        assert!(check(ru, "x-klingon").is_ok() && check("OK 123", "ru").is_ok());
        assert!(check("東京で会議が開かれました。これは日本語の文です。", "ja").is_ok());
        // Languages outside the table take the registry's Suppress-Script.
        assert_eq!(
            check(ru, "rn").expect_err("Russian tagged rn").found,
            Script::Cyrillic
        );
        assert!(check(ru, "tt").is_ok());
    }

    #[test]
    fn swapped_is_said_only_when_swapping_fits() {
        let ru = "Цены в порту Новороссийска немного снизились.";
        let en = "Prices at the port of Novorossiysk fell slightly.";
        let held = vec!["en".to_string(), "ru".to_string()];
        let m = input_mismatch("TEXT", en, "ru", "--from", "en", &held).unwrap();
        assert!(m.contains("swapped"), "{m}");
        // English looked up --from ru --to uk: not a swap.
        let m = input_mismatch("TEXT", en, "ru", "--from", "uk", &held).unwrap();
        assert!(
            !m.contains("swapped") && m.contains("is --from right?"),
            "{m}"
        );
        assert!(input_mismatch("TEXT", en, "en", "--from", "ru", &held).is_none());
        // --to rn on Russian text: a typo, not a swap.
        let m = pair_mismatch(("a.en", en), ("a.ru", ru), "en", "rn", &held).unwrap();
        assert!(
            m.starts_with("a.ru:") && m.contains("did you mean ru?") && !m.contains("swapped"),
            "{m}"
        );
        let m = pair_mismatch(("a.en", ru), ("a.ru", en), "en", "ru", &held).unwrap();
        assert!(m.starts_with("a.en:") && m.contains("swapped"), "{m}");
        assert!(pair_mismatch(("a.en", en), ("a.ru", ru), "en", "ru", &held).is_none());
    }
}
