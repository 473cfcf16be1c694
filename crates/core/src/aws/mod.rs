//! AWS adapter (todo)
use crate::{Settings, StoreError, Backend};
pub async fn connect(_s: &Settings) -> Result<Backend, StoreError> { todo!() }
