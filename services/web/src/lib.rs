//! Breakroom's app for people: server-rendered HTML (askama templates checked at compile
//! time) over the services' gRPC APIs, called with the signed-in person's own access
//! token. Stateless: the session is a sealed cookie around identity's refresh token.
#![forbid(unsafe_code)]

pub mod assets;
pub mod config;
pub mod context;
pub mod csrf;
pub mod error;
pub mod fmt;
pub mod headers;
pub mod i18n;
pub mod icons;
pub mod layout;
pub mod names;
pub mod screens;
pub mod session;
pub mod startup;
pub mod state;

pub use config::WebConfig;
pub use startup::Application;
