//! The types the browser and the server exchange: request results (DTOs), the error body of
//! every failed call, and the JSON encoding of server-function answers. Pure data: nothing
//! here names the server.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod invites;
pub mod members;
pub mod orgs;
pub mod people;
pub mod scim;
pub mod tokens;
pub mod webhooks;
pub mod workspaces;

use leptos::server_fn::codec::Post;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// JSON bodies, read as text in the browser. Server-rendered data reaches the browser as text
/// and is read with `serde_json::from_str`; reading responses from bytes (`from_slice`, as
/// server_fn's own JSON encoding does) would put a second JSON reader for every response type
/// into the bundle.
pub struct JsonText;

/// The output encoding of every server function: JSON in the body of the `POST` response.
pub type JsonResponse = Post<JsonText>;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(value: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(value).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonText {
    type Error = String;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(|e| e.to_string())?;
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

/// The error body of every failed call: `{"error": "...", "code": "..."}`, plus a message per
/// field when input was invalid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: String,
    pub code: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.error)
    }
}

impl std::error::Error for ApiError {}

impl FromServerFnError for ApiError {
    type Encoder = JsonText;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let bad_input = matches!(
            value,
            ServerFnErrorErr::Args(_)
                | ServerFnErrorErr::MissingArg(_)
                | ServerFnErrorErr::Deserialization(_)
        );
        #[cfg(feature = "ssr")]
        if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(if bad_input {
                http::StatusCode::BAD_REQUEST
            } else {
                http::StatusCode::INTERNAL_SERVER_ERROR
            });
        }
        let (code, error) = match &value {
            _ if bad_input => ("bad_request", format!("malformed request: {value}")),
            ServerFnErrorErr::Request(_) => (
                "network",
                "the server could not be reached; try again".to_string(),
            ),
            _ => ("internal", value.to_string()),
        };
        ApiError {
            error,
            code: code.to_string(),
            fields: BTreeMap::new(),
        }
    }
}

impl ApiError {
    pub fn field(&self, name: &str) -> Option<String> {
        self.fields.get(name).cloned()
    }
}
