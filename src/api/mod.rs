//! Server functions: the HTTP API. Each one is thin — authenticate, parse, authorize against
//! the target loaded on the server, call `server::`, answer a DTO — and has a stable endpoint
//! under `/api/` documented in the README.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod invites;
pub mod members;
pub mod workspaces;

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    type Encoder = JsonEncoding;

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
