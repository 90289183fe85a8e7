//! The browser bundle: the entry point the generated JavaScript calls once the page loads.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    roster::hydrate();
}
