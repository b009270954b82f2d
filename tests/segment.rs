//! Sentence segmentation: one test per rule family (English and Russian),
//! SRX loading, and a property test that spans never lose text.

use std::path::Path;

use proptest::prelude::*;
use transmem::segment::RuleSource;
use transmem::segment::{Segmenter, rules, segment};

fn seg<'a>(text: &'a str, lang: &str) -> Vec<&'a str> {
    segment(text, lang).into_iter().map(|r| &text[r]).collect()
}

#[test]
fn english_abbreviations() {
    assert_eq!(
        seg(
            "Mrs. Patel and Prof. Okafor met Gen. Marsh. They talked.",
            "en"
        ),
        [
            "Mrs. Patel and Prof. Okafor met Gen. Marsh.",
            "They talked."
        ]
    );
    assert_eq!(
        seg(
            "Bring tools, e.g. a saw, i.e. anything sharp. Then go.",
            "en"
        ),
        ["Bring tools, e.g. a saw, i.e. anything sharp.", "Then go."]
    );
    assert_eq!(
        seg("It opened on Feb. 3 at St. Mary's, No. 12.", "en"),
        ["It opened on Feb. 3 at St. Mary's, No. 12."]
    );
    assert_eq!(
        seg("Red vs. blue was close. Blue won.", "en"),
        ["Red vs. blue was close.", "Blue won."]
    );
    // A sentence-final company suffix or acronym breaks before a starter
    // word, not before a name.
    assert_eq!(
        seg(
            "She works for Blue Fin Ltd. It makes boats in the U.K. Navy yards.",
            "en"
        ),
        [
            "She works for Blue Fin Ltd.",
            "It makes boats in the U.K. Navy yards."
        ]
    );
    assert_eq!(
        seg("We flew to the U.S. The trip was long.", "en"),
        ["We flew to the U.S.", "The trip was long."]
    );
    // "etc." is an ordinary full stop before a capital.
    assert_eq!(
        seg("Pens, ink, etc. Nothing else.", "en"),
        ["Pens, ink, etc.", "Nothing else."]
    );
    // "no." is a number sign only before a number.
    assert_eq!(
        seg("He said no. Then he left.", "en"),
        ["He said no.", "Then he left."]
    );
}

#[test]
fn russian_abbreviations() {
    assert_eq!(
        seg(
            "Заседание прошло в г. Казани на ул. Гоголя, д. 7. Все пришли.",
            "ru"
        ),
        [
            "Заседание прошло в г. Казани на ул. Гоголя, д. 7.",
            "Все пришли."
        ]
    );
    assert_eq!(
        seg("Это было в 1998 г. Потом всё изменилось.", "ru"),
        ["Это было в 1998 г.", "Потом всё изменилось."]
    );
    assert_eq!(
        seg("Купили яблоки, груши и т. д. Остальное завтра.", "ru"),
        ["Купили яблоки, груши и т. д.", "Остальное завтра."]
    );
    assert_eq!(
        seg(
            "Выручка 12 млн руб., т.е. вдвое больше. Прибыль 3 тыс. долл. в месяц.",
            "ru"
        ),
        [
            "Выручка 12 млн руб., т.е. вдвое больше.",
            "Прибыль 3 тыс. долл. в месяц."
        ]
    );
    assert_eq!(
        seg(
            "См. рис. 4 и ст. 15 закона. Доклад сделал проф. Зуев и акад. Лыков.",
            "ru"
        ),
        [
            "См. рис. 4 и ст. 15 закона.",
            "Доклад сделал проф. Зуев и акад. Лыков."
        ]
    );
    assert_eq!(
        seg("Так наз. т. н. Зелёный план принят.", "ru"),
        ["Так наз. т. н. Зелёный план принят."]
    );
    assert_eq!(
        seg("Город основан в V в. до н.э. Раскопки идут.", "ru"),
        ["Город основан в V в. до н.э.", "Раскопки идут."]
    );
}

#[test]
fn initials() {
    assert_eq!(
        seg("The poem by T. S. Eliot is long. Read it.", "en"),
        ["The poem by T. S. Eliot is long.", "Read it."]
    );
    assert_eq!(
        seg("Ask Anna K. Berg first.", "en"),
        ["Ask Anna K. Berg first."]
    );
    assert_eq!(
        seg("Письмо подписал А. П. Чехов. Его прочли.", "ru"),
        ["Письмо подписал А. П. Чехов.", "Его прочли."]
    );
    assert_eq!(
        seg("Выступил Сидоров П.К. Он говорил долго.", "ru"),
        ["Выступил Сидоров П.К.", "Он говорил долго."]
    );
    assert_eq!(
        seg("Выступил Сидоров П.К. Горин тоже.", "ru"),
        ["Выступил Сидоров П.К. Горин тоже."]
    );
}

#[test]
fn numbers_times_and_dates() {
    assert_eq!(
        seg("It grew 2.75% to 1,300.50 in 2019. Good.", "en"),
        ["It grew 2.75% to 1,300.50 in 2019.", "Good."]
    );
    assert_eq!(
        seg("Рост 4,5% до 1 200 руб. за акцию.", "ru"),
        ["Рост 4,5% до 1 200 руб. за акцию."]
    );
    assert_eq!(
        seg(
            "We met at 9:15 a.m. Moscow time. We left at 6 p.m. Lena stayed.",
            "en"
        ),
        [
            "We met at 9:15 a.m. Moscow time.",
            "We left at 6 p.m.",
            "Lena stayed."
        ]
    );
    // A time phrase that opens the sentence is not a sentence of its own.
    assert_eq!(seg("At 6 p.m. Lena left.", "en"), ["At 6 p.m. Lena left."]);
    assert_eq!(
        seg("Встреча 12.03.2021 в 10.30 прошла.", "ru"),
        ["Встреча 12.03.2021 в 10.30 прошла."]
    );
    assert_eq!(
        seg("The fair ends on Oct. 21st. Come early.", "en"),
        ["The fair ends on Oct. 21st.", "Come early."]
    );
}

#[test]
fn ellipses_and_mixed_marks() {
    assert_eq!(
        seg("Wait... What was that?! Nothing.", "en"),
        ["Wait...", "What was that?!", "Nothing."]
    );
    assert_eq!(
        seg("Он замолчал… Потом ушёл.", "ru"),
        ["Он замолчал…", "Потом ушёл."]
    );
    assert_eq!(
        seg("I was... well, tired.", "en"),
        ["I was... well, tired."]
    );
    assert_eq!(
        seg("Правда?! Не может быть!!", "ru"),
        ["Правда?!", "Не может быть!!"]
    );
}

#[test]
fn closing_quotes_and_brackets() {
    assert_eq!(
        seg(
            "He wrote: \"Stay home.\" Nobody did. (It rained.) We left.",
            "en"
        ),
        [
            "He wrote: \"Stay home.\"",
            "Nobody did.",
            "(It rained.)",
            "We left."
        ]
    );
    assert_eq!(seg("\"Go!\" she said.", "en"), ["\"Go!\" she said."]);
    assert_eq!(
        seg("Он сказал: «Всё готово.» Мы вышли. „Хорошо“. Дальше.", "ru"),
        [
            "Он сказал: «Всё готово.»",
            "Мы вышли.",
            "„Хорошо“.",
            "Дальше."
        ]
    );
    assert_eq!(
        seg("«Неужели?» — спросил он.", "ru"),
        ["«Неужели?» — спросил он."]
    );
}

#[test]
fn direct_speech_with_dashes() {
    assert_eq!(
        seg(
            "— Нет, — ответила она. — Завтра. — Почему? — Так надо!",
            "ru"
        ),
        [
            "— Нет, — ответила она.",
            "— Завтра.",
            "— Почему?",
            "— Так надо!"
        ]
    );
    assert_eq!(
        seg("— Стой! — крикнул он.", "ru"),
        ["— Стой! — крикнул он."]
    );
}

#[test]
fn lists_and_headings() {
    assert_eq!(
        seg("Steps: 1. Open the box 2. Take the lid 3. Close it", "en"),
        ["Steps: 1. Open the box", "2. Take the lid", "3. Close it"]
    );
    assert_eq!(
        seg("a) milk b) bread c) eggs", "en"),
        ["a) milk", "b) bread", "c) eggs"]
    );
    assert_eq!(
        seg("2. Results\nThe test passed.", "en"),
        ["2. Results", "The test passed."]
    );
    assert_eq!(seg("III. Итоги года", "ru"), ["III. Итоги года"]);
    assert_eq!(seg("4.2. Методы работы", "ru"), ["4.2. Методы работы"]);
    // A number that ends a sentence is not a list marker.
    assert_eq!(
        seg("The score rose by 3. Fans cheered.", "en"),
        ["The score rose by 3.", "Fans cheered."]
    );
}

#[test]
fn urls_emails_and_file_names() {
    assert_eq!(
        seg(
            "See https://news.example.org/a/b.html. Or mail desk@example.org. Open notes.txt first.",
            "en"
        ),
        [
            "See https://news.example.org/a/b.html.",
            "Or mail desk@example.org.",
            "Open notes.txt first."
        ]
    );
    assert_eq!(
        seg("Сайт www.Example.ru работает.", "ru"),
        ["Сайт www.Example.ru работает."]
    );
}

#[test]
fn datelines_stay_with_their_sentence() {
    assert_eq!(
        seg(
            "OSLO, March 3. /NTB/. Talks began today. They ended late.",
            "en"
        ),
        [
            "OSLO, March 3. /NTB/. Talks began today.",
            "They ended late."
        ]
    );
    assert_eq!(
        seg(
            "КАЗАНЬ, 3 марта. /ТАСС/. Переговоры начались. Они закончились поздно.",
            "ru"
        ),
        [
            "КАЗАНЬ, 3 марта. /ТАСС/. Переговоры начались.",
            "Они закончились поздно."
        ]
    );
}

#[test]
fn line_breaks_always_end_segments() {
    assert_eq!(
        seg("A title\nFirst line of text\r\nsecond line", "en"),
        ["A title", "First line of text", "second line"]
    );
    assert_eq!(seg("  \n\n  ", "en"), Vec::<&str>::new());
}

#[test]
fn other_languages_use_the_default_rules() {
    assert_eq!(
        seg("Hallo Welt. Wie geht's? Gut!", "de"),
        ["Hallo Welt.", "Wie geht's?", "Gut!"]
    );
    // No English abbreviations there.
    assert_eq!(seg("Mr. Li", "de"), ["Mr.", "Li"]);
}

#[test]
fn segmenter_is_clone_send_sync() {
    fn check<T: Clone + Send + Sync>() {}
    check::<Segmenter>();
}

#[test]
fn builtin_rules_round_trip_through_srx() {
    // The SRX the built-in rules are written as reads back into a segmenter
    // that splits like the built-in one.
    let xml = rules::builtin_srx();
    let text = "Mr. Ode met J. Ray at 5 p.m. Moscow time. He left.\n— Да, — сказал он. — Пойдём.";
    for lang in ["en", "ru"] {
        let from_srx = Segmenter::from_srx(&xml, lang, Path::new("builtin.srx")).unwrap();
        assert_eq!(
            from_srx.split(text),
            Segmenter::for_lang(lang).split(text),
            "{lang}"
        );
    }
}

#[test]
fn srx_file_rules_and_cascade() {
    let path = Path::new("tests/fixtures/segment/simple.srx");
    let toy = Segmenter::from_srx_file(path, "toy-XX").unwrap();
    let text = "Take e.g. z.B. this; see Doc. Smith. Then stop! Go";
    let got: Vec<&str> = toy.split(text).into_iter().map(|r| &text[r]).collect();
    assert_eq!(
        got,
        [
            "Take e.g.",
            "z.B. this;",
            "see Doc. Smith.",
            "Then stop!",
            "Go"
        ]
    );
    // Another language only gets the default set.
    let other = Segmenter::from_srx_file(path, "en").unwrap();
    let got: Vec<&str> = other.split(text).into_iter().map(|r| &text[r]).collect();
    assert_eq!(
        got,
        [
            "Take e.g.",
            "z.B.",
            "this; see Doc.",
            "Smith.",
            "Then stop!",
            "Go"
        ]
    );
}

#[test]
fn srx_errors_name_file_and_position() {
    let err = Segmenter::from_srx_file(Path::new("tests/fixtures/segment/bad_regex.srx"), "en")
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("tests/fixtures/segment/bad_regex.srx:7 (byte "),
        "{msg}"
    );
    assert!(msg.contains("beforebreak"), "{msg}");

    let err = Segmenter::from_srx_file(Path::new("tests/fixtures/segment/bad_break.srx"), "en")
        .unwrap_err();
    assert!(err.to_string().contains(":3 (byte "), "{err}");
    assert!(err.to_string().contains("break=\"maybe\""), "{err}");

    let err = Segmenter::from_srx("<srx><body>", "en", Path::new("x.srx")).unwrap_err();
    assert!(err.to_string().starts_with("x.srx"), "{err}");
    let err = Segmenter::from_srx("not xml at all", "en", Path::new("y.srx")).unwrap_err();
    assert!(err.to_string().contains("not an SRX file"), "{err}");
    let err = Segmenter::from_srx_file(Path::new("tests/fixtures/segment/missing.srx"), "en")
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("tests/fixtures/segment/missing.srx"),
        "{err}"
    );
}

#[test]
fn explicit_rules_first_match_wins() {
    let s = Segmenter::from_rules(&[
        RuleSource::keep(r"\bNo\.", r"\s\d"),
        RuleSource::brk(r"\.", r"\s"),
    ])
    .unwrap();
    let text = "Item No. 5 is here. Next.";
    let got: Vec<&str> = s.split(text).into_iter().map(|r| &text[r]).collect();
    assert_eq!(got, ["Item No. 5 is here.", "Next."]);
}

#[test]
fn explain_names_the_deciding_rule() {
    let s = Segmenter::for_lang("en");
    let trace = s.explain("Mr. Li left. Bye.");
    // Two candidates: after "Mr." (kept by a rule) and after "left." (break).
    assert_eq!(trace.len(), 2);
    assert_eq!((trace[0].0, trace[0].2), (3, false));
    assert!(trace[0].1.is_some());
    assert_eq!((trace[1].0, trace[1].2), (12, true));
}

/// Text built from pieces that exercise the rules, plus arbitrary chars.
fn texty() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("Mr. ".to_string()),
        Just("U.S. ".to_string()),
        Just("т. е. ".to_string()),
        Just("«Да.» ".to_string()),
        Just("— Нет! — ".to_string()),
        Just("... ".to_string()),
        Just("1. ".to_string()),
        Just("a) ".to_string()),
        Just("/ТАСС/. ".to_string()),
        Just("\n".to_string()),
        Just("‘quote’ ".to_string()),
        "[A-Za-zА-Яа-я0-9 .,!?…\"'()«»—:;/\u{a0}\u{200b}]{0,12}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

fn check_spans(text: &str, spans: &[std::ops::Range<usize>]) -> Result<(), TestCaseError> {
    let mut last = 0;
    for r in spans {
        prop_assert!(
            r.start >= last && r.start < r.end && r.end <= text.len(),
            "{r:?} after {last}"
        );
        prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
        prop_assert!(
            text[last..r.start].chars().all(char::is_whitespace),
            "lost {:?}",
            &text[last..r.start]
        );
        let s = &text[r.clone()];
        prop_assert_eq!(s.trim(), s);
        prop_assert!(!s.contains('\n'));
        last = r.end;
    }
    prop_assert!(text[last..].chars().all(char::is_whitespace));
    Ok(())
}

proptest! {
    #[test]
    fn spans_keep_every_character(text in texty()) {
        for lang in ["en", "ru", "fr"] {
            check_spans(&text, &segment(&text, lang))?;
        }
    }
}

proptest! {
    /// The hand-written terminator scanner finds exactly the ends of the
    /// scan regex's matches, which the built-in break rules rely on.
    #[test]
    fn terminator_scanner_matches_its_regex(
        text in prop::collection::vec(prop_oneof![
            Just(".".to_string()), Just("…".to_string()), Just("?!".to_string()),
            Just("\"".to_string()), Just("»".to_string()), Just(")".to_string()),
            Just("\u{200b}".to_string()), Just("\u{ad}".to_string()), Just("\u{2}".to_string()),
            Just("\u{feff}".to_string()), Just("\u{e0041}".to_string()), Just("\u{61c}".to_string()),
            "[a-zа-я ]{0,3}",
            any::<char>().prop_map(String::from),
        ], 0..30).prop_map(|v| v.concat())
    ) {
        let re = regex::Regex::new(&rules::scan()).unwrap();
        let want: Vec<usize> = re.find_iter(&text).map(|m| m.end()).collect();
        let mut got = Vec::new();
        rules::terminator_runs(&text, &mut got);
        prop_assert_eq!(got, want);
    }
}

#[test]
fn day_numbers_after_month_abbreviations_are_not_list_items() {
    assert_eq!(
        seg(
            "It began Oct. 2. The talks ended Nov. 14. Now we wait.",
            "en"
        ),
        [
            "It began Oct. 2.",
            "The talks ended Nov. 14.",
            "Now we wait."
        ]
    );
}

#[test]
fn currency_and_weekday_continuations() {
    assert_eq!(
        seg("Кредит 2 млрд долл. США выдан.", "ru"),
        ["Кредит 2 млрд долл. США выдан."]
    );
    assert_eq!(
        seg("They vote at 9 a.m. Friday. Polls close late.", "en"),
        ["They vote at 9 a.m. Friday.", "Polls close late."]
    );
}

#[test]
fn numbers_ending_sentences_in_prose_are_not_lists() {
    assert_eq!(
        seg(
            "Ana leads with 133. Then comes Bo with 70 and Cy with 53. Dee has 20.",
            "en"
        ),
        [
            "Ana leads with 133.",
            "Then comes Bo with 70 and Cy with 53.",
            "Dee has 20."
        ]
    );
    assert_eq!(
        seg("1. The first item. 2. The second item.", "en"),
        ["1. The first item.", "2. The second item."]
    );
}

#[test]
fn direct_speech_splits_alike_in_guillemets_and_double_quotes() {
    // Issue 15: «...» direct speech that ends a sentence inside and goes on
    // after the author's words splits where English "..." splits, so that
    // alignment gets 1:1 units.
    assert_eq!(
        seg(
            "«Ты куда? – спросил отец. – Уже темно». Сын промолчал.",
            "ru"
        ),
        [
            "«Ты куда? – спросил отец.",
            "– Уже темно».",
            "Сын промолчал."
        ]
    );
    assert_eq!(
        seg(
            "\"Where to?\" asked father. \"It is dark.\" The son said nothing.",
            "en"
        ),
        [
            "\"Where to?\" asked father.",
            "\"It is dark.\"",
            "The son said nothing."
        ]
    );
    assert_eq!(
        seg("\"We lost. We will try again,\" the coach said.", "en"),
        ["\"We lost.", "We will try again,\" the coach said."]
    );
}

#[test]
fn capitalised_abbreviations_and_russian_months() {
    assert_eq!(seg("Рис. 3. Схема сети.", "ru"), ["Рис. 3.", "Схема сети."]);
    assert_eq!(seg("Ст. 12 отменена.", "ru"), ["Ст. 12 отменена."]);
    assert_eq!(
        seg("ТОМСК, 20 апр. (Сибинфо) - Мост открыт.", "ru"),
        ["ТОМСК, 20 апр. (Сибинфо) - Мост открыт."]
    );
    assert_eq!(seg("Cf. Table 2 here.", "en"), ["Cf. Table 2 here."]);
}
