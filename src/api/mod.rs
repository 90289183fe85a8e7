//! Server functions: the HTTP API, and only that. Each one has the same shape — authenticate
//! (`caller()`), parse the form into a domain request, make one call into `server::<feature>`,
//! answer a `model` type — and a stable endpoint under `/api/` documented in the README.

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

use crate::model::{ApiError, JsonResponse};
