//! Any bytes as an article document: parsing and validation never panic, and every
//! rejection names its field.
#![no_main]

#[path = "common.rs"]
mod common;

use herald::article::parse_input;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let world = common::World::new();
    let Ok(input) = parse_input(data) else { return };
    if let Err(errors) = input.validate(&world.rules()) {
        assert!(!errors.0.is_empty());
        assert!(errors.0.iter().all(|e| !e.field.is_empty()), "{errors:?}");
    }
});
