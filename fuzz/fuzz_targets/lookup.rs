//! Finding one entry (export's path) agrees with the full parse wherever the full parse
//! succeeds, and never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vault::document::Document;
use vault::lookup::find_entry;

fuzz_target!(|data: &[u8]| {
    let full = Document::parse(data);
    for name in ["bank", "a", ""] {
        let found = find_entry(data, name);
        if let Ok(doc) = &full {
            let found = found.expect("what the full parse reads, the lookup reads");
            assert!(
                found.as_ref() == doc.entries.get(name),
                "the lookup found another entry"
            );
        }
    }
});
