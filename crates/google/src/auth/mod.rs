//! Service-account authentication: the key ([`key`]), the hand-made JWT exchange ([`jwt`]), token
//! sources with caching ([`source`]), the token file ([`token_file`]) and the operator's check
//! ([`check()`]).

pub mod check;
pub mod jwt;
pub mod key;
pub mod source;
pub mod token_file;

pub use check::{check, AuthConfig, CheckReport};
pub use key::{KeyOptions, ServiceAccountKey, SCOPES};
pub use source::{AccessToken, Clock, GcpAuthSource, JwtTokenSource, TokenSource};
pub use token_file::{write_token_file, TOKEN_FILE_NAME};
