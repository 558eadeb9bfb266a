//! Reading JSON bodies: a malformed document or a value of the wrong type is a 400
//! that names the field (`hosts[1]`: invalid type: integer, expected a string), or an unknown or
//! missing field.
use actix_web::http::StatusCode;
use serde::de::DeserializeOwned;

use super::error::ApiError;

pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(value) => Ok(value),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let syntax = inner.is_syntax() || inner.is_eof();
            let err = ApiError::new(
                StatusCode::BAD_REQUEST,
                if syntax { "malformed_json" } else { "bad_field" },
                inner.to_string(),
            );
            Err(if syntax || path == "." { err } else { err.with_field(path) })
        }
    }
}
