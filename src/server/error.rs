//! Server-side failures and how each becomes an HTTP status with `{"error", "code"}`.

use crate::domain::requests::FieldErrors;
use crate::model::ApiError;
use axum::http::{HeaderValue, StatusCode};
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign in first")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(&'static str),
    /// Refused with a message and code of its own (the message may name the caller's account).
    #[error("{message}")]
    ForbiddenBecause { code: &'static str, message: String },
    #[error("change your password first")]
    PasswordChangeRequired,
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{message}")]
    Invalid {
        message: String,
        fields: BTreeMap<String, String>,
    },
    #[error("{0}")]
    Unauthorized(String),
    /// A bearer token that is malformed, unknown, expired or revoked (401 `invalid_token`).
    #[error("{0}")]
    InvalidToken(&'static str),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    TooManyRequests {
        retry_after_secs: i64,
        message: String,
    },
    /// Overloaded for a moment (503 with `Retry-After`): nothing was done.
    #[error("{message}")]
    Unavailable {
        retry_after_secs: i64,
        message: String,
    },
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    pub fn invalid_field(field: &str, message: impl Into<String>) -> AppError {
        let message = message.into();
        AppError::Invalid {
            message: format!("{field}: {message}"),
            fields: BTreeMap::from([(field.to_string(), message)]),
        }
    }

    /// When to try again, for the `Retry-After` header.
    pub fn retry_after_secs(&self) -> Option<i64> {
        match self {
            AppError::TooManyRequests {
                retry_after_secs, ..
            }
            | AppError::Unavailable {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated | AppError::Unauthorized(_) | AppError::InvalidToken(_) => {
                StatusCode::UNAUTHORIZED
            }
            AppError::Forbidden(_)
            | AppError::ForbiddenBecause { .. }
            | AppError::PasswordChangeRequired => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Invalid { .. } => StatusCode::BAD_REQUEST,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Unauthorized(_) => "invalid_credentials",
            AppError::InvalidToken(_) => "invalid_token",
            AppError::Forbidden(_) => "forbidden",
            AppError::ForbiddenBecause { code, .. } => code,
            AppError::PasswordChangeRequired => "password_change_required",
            AppError::NotFound(_) => "not_found",
            AppError::Invalid { .. } => "invalid",
            AppError::Conflict { code, .. } => code,
            AppError::TooManyRequests { .. } => "rate_limited",
            AppError::Unavailable { .. } => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn to_api_error(&self) -> ApiError {
        ApiError {
            error: self.to_string(),
            code: self.code().to_string(),
            fields: match self {
                AppError::Invalid { fields, .. } => fields.clone(),
                _ => BTreeMap::new(),
            },
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        let message = match errors.0.iter().next() {
            Some((field, message)) if errors.0.len() == 1 => format!("{field}: {message}"),
            _ => "Some fields need attention".to_string(),
        };
        AppError::Invalid {
            message,
            fields: errors.0,
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(format!("database: {e}"))
    }
}

impl From<crate::server::auth::password::HashError> for AppError {
    fn from(e: crate::server::auth::password::HashError) -> Self {
        match e {
            crate::server::auth::password::HashError::Busy => AppError::Unavailable {
                retry_after_secs: 1,
                message: "Too many sign-ins at this moment; try again in a second".into(),
            },
            e => AppError::Internal(e.to_string()),
        }
    }
}

/// A server function failed: set the HTTP status (and `Retry-After`) on the response being
/// built, log internal errors, and hand the JSON body to server_fn.
impl From<AppError> for ApiError {
    fn from(err: AppError) -> ApiError {
        if let AppError::Internal(detail) = &err {
            tracing::error!(%detail, "request failed");
        }
        if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(err.status());
            if let Some(retry_after_secs) = err.retry_after_secs() {
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.max(1).to_string()) {
                    res.insert_header(axum::http::header::RETRY_AFTER, v);
                }
            }
        }
        err.to_api_error()
    }
}

/// The same error as a plain axum response, for middleware.
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let mut res = (self.status(), axum::Json(self.to_api_error())).into_response();
        if let Some(retry_after_secs) = self.retry_after_secs() {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.max(1).to_string()) {
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        res
    }
}
