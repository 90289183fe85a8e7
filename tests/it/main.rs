//! Integration tests: the real app over HTTP, each body run on SQLite and PostgreSQL.
#![cfg(feature = "ssr")]

#[macro_use]
mod common;

mod accounts;
mod add_user;
mod audit;
mod auth;
mod authz;
mod fake_idp;
mod foundation;
mod hostile;
mod invites;
mod limits;
mod members;
mod openapi;
mod orgs;
mod people;
mod read_cache;
#[macro_use]
mod oidc;
mod role_sync;
mod scale_out;
mod scim;
mod tokens;
mod trust;
mod webhooks;
