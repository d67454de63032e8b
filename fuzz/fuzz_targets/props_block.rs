//! The props-block writer on arbitrary text: the output can never end the
//! `<script>` element, open a comment or start a nested script: it holds no
//! `<` at all. And JSON stays the same JSON (the escape is a JSON escape).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mochi::__private::script_safe;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let out = script_safe(text);
    let lower = out.to_ascii_lowercase();
    assert!(!lower.contains("</script"), "{out:?}");
    assert!(!lower.contains("<script"), "{out:?}");
    assert!(!out.contains("<!--"), "{out:?}");
    assert!(!out.contains('<'), "{out:?}");
    // Each `<` becomes the six bytes `\u003C`, and nothing else changes.
    assert_eq!(out.len(), text.len() + 5 * text.matches('<').count());
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        let escaped: serde_json::Value =
            serde_json::from_str(&out).expect("escaped JSON is still JSON");
        assert_eq!(escaped, json, "escaping changed the JSON of {text:?}");
    }
});
