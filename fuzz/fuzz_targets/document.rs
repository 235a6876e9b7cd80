//! The document parser: never panics; what it accepts survives a save and a re-read unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vault::document::Document;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = Document::parse(data) {
        let saved = doc.to_json(data.len());
        let again = Document::parse(&saved).expect("a saved document reads back");
        assert!(again == doc, "a round trip changed the document");
    }
});
