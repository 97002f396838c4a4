//! Moving file data between the page and the server: [`upload`] before a create,
//! [`download`] after a reveal. The bytes are sealed and opened by [`crate::client::files`];
//! this module only moves them and survives dropped connections.

pub mod download;
pub mod upload;
