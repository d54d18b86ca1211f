//! The server layer that checks every request's text before any handler runs.
//!
//! It knows each RPC's request type from the descriptor sets the server also serves by
//! reflection, decodes the request dynamically, and walks every string (map keys too).
//! A refused character answers INVALID_ARGUMENT with one field violation per offending
//! field, named by its path in the request (`post.body`, `memberships[2].store`); a body
//! that is not the RPC's message answers INVALID_ARGUMENT too, also for the health and
//! reflection services whose generated code the kit does not control. Client-streaming
//! RPCs (reflection) and paths no descriptor names pass unchecked: their messages are
//! checked by their own codec, and none of them writes to a stream.

use std::{
    collections::HashMap,
    pin::Pin,
    sync::OnceLock,
    task::{Context, Poll},
};

use breakroom_base::{
    error::{ERROR_DOMAIN, Error, FieldViolation},
    text::check,
};
use bytes::{Buf, Bytes};
use http_body_util::{BodyExt, Full, Limited};
use prost_reflect::{DynamicMessage, MapKey, MessageDescriptor, Value};
use tonic::{Code, Status, body::Body};
use tonic_types::{ErrorDetails, StatusExt};
use tower_layer::Layer;
use tower_service::Service;

/// Largest request body read for the check: tonic's default limit on one decoded message
/// plus gRPC's 5-byte frame header. A larger body would be refused by tonic anyway.
const MAX_BODY: usize = 4 * 1024 * 1024 + 5;
/// Most offending fields one answer names.
const MAX_REPORTED: usize = 20;

/// Applies `breakroom_base::text`'s rule to every request of a server.
#[derive(Debug, Clone, Default)]
pub struct TextLayer;

impl<S> Layer<S> for TextLayer {
    type Service = CheckedText<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CheckedText { inner }
    }
}

/// The service `TextLayer` wraps around the routes.
#[derive(Debug, Clone)]
pub struct CheckedText<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S> Service<http::Request<Body>> for CheckedText<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // The ready service is the one polled above; a clone takes its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let Some(input) = request_types().get(request.uri().path()).cloned() else {
            return Box::pin(inner.call(request));
        };
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let bytes = match Limited::new(body, MAX_BODY).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                    let status = Status::resource_exhausted(format!(
                        "the request is larger than {MAX_BODY} bytes"
                    ));
                    return Ok(status.into_http());
                }
                Err(e) => return Ok(Status::cancelled(format!("request body: {e}")).into_http()),
            };
            if let Err(status) = check_frames(&input, bytes.clone()) {
                return Ok(status.into_http());
            }
            let request = http::Request::from_parts(parts, Body::new(Full::new(bytes)));
            inner.call(request).await
        })
    }
}

/// Request type of every RPC whose client sends one message, by its HTTP path.
fn request_types() -> &'static HashMap<String, MessageDescriptor> {
    static TYPES: OnceLock<HashMap<String, MessageDescriptor>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let pool = breakroom_base::descriptors::pool();
        let mut types = HashMap::new();
        for service in pool.services() {
            for method in service.methods().filter(|m| !m.is_client_streaming()) {
                let path = format!("/{}/{}", service.full_name(), method.name());
                types.insert(path, method.input());
            }
        }
        types
    })
}

/// Checks each gRPC frame of a body (one for the RPCs checked here).
fn check_frames(input: &MessageDescriptor, mut body: Bytes) -> Result<(), Status> {
    while body.has_remaining() {
        if body.remaining() < 5 {
            return Err(malformed(input, "the gRPC frame header is truncated"));
        }
        let compressed = body.get_u8() != 0;
        let length = body.get_u32() as usize;
        if body.remaining() < length {
            return Err(malformed(input, "the gRPC frame is truncated"));
        }
        let message = body.split_to(length);
        if compressed {
            // This server accepts no compression; tonic answers that with its own status.
            continue;
        }
        let decoded = DynamicMessage::decode(input.clone(), message)
            .map_err(|e| malformed(input, &e.to_string()))?;
        let mut violations = Vec::new();
        walk(&decoded, "", &mut violations);
        if !violations.is_empty() {
            return Err(Status::from(Error::Invalid(violations)));
        }
    }
    Ok(())
}

/// The answer to bytes that are not the RPC's request message: the caller's mistake, as
/// the services' own codec answers it.
fn malformed(input: &MessageDescriptor, why: &str) -> Status {
    let message = format!("the message is not a valid {}: {why}", input.name());
    let mut details = ErrorDetails::new();
    details.set_error_info("MALFORMED_MESSAGE", ERROR_DOMAIN, HashMap::new());
    details.add_bad_request_violation("", message.clone());
    Status::with_error_details(Code::InvalidArgument, message, details)
}

/// Records a violation for every string below `message` that holds a refused character.
fn walk(message: &DynamicMessage, prefix: &str, out: &mut Vec<FieldViolation>) {
    for (field, value) in message.fields() {
        let path = if prefix.is_empty() {
            field.name().to_owned()
        } else {
            format!("{prefix}.{}", field.name())
        };
        check_value(value, &path, out);
    }
}

fn check_value(value: &Value, path: &str, out: &mut Vec<FieldViolation>) {
    if out.len() >= MAX_REPORTED {
        return;
    }
    match value {
        Value::String(text) => out.extend(check(path, text)),
        Value::Message(inner) => walk(inner, path, out),
        Value::List(items) => {
            for (index, item) in items.iter().enumerate() {
                check_value(item, &format!("{path}[{index}]"), out);
            }
        }
        Value::Map(entries) => {
            for (key, item) in entries {
                let key = match key {
                    MapKey::String(key) => {
                        out.extend(check(&format!("{path} (a key)"), key));
                        key.clone()
                    }
                    other => format!("{other:?}"),
                };
                check_value(item, &format!("{path}[{key}]"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use prost::Message;

    use super::*;

    fn frame(message: &impl Message) -> Bytes {
        let body = message.encode_to_vec();
        let mut framed = vec![0u8];
        framed.extend((body.len() as u32).to_be_bytes());
        framed.extend(body);
        framed.into()
    }

    fn input_of(path: &str) -> MessageDescriptor {
        request_types()
            .get(path)
            .cloned()
            .unwrap_or_else(|| panic!("{path} has no request type"))
    }

    #[test]
    fn every_service_of_every_package_is_known_with_its_request_type() {
        for path in [
            "/grpc.health.v1.Health/Check",
            "/breakroom.kit.testing.v1.CounterService/IncrementCounter",
        ] {
            input_of(path);
        }
        assert!(
            !request_types()
                .contains_key("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"),
            "client streams are not buffered"
        );
    }

    fn violated_fields(status: &Status) -> Vec<String> {
        status
            .get_error_details()
            .bad_request()
            .expect("BadRequest")
            .field_violations
            .iter()
            .map(|v| v.field.clone())
            .collect()
    }

    #[test]
    fn a_refused_character_deep_in_a_request_is_named_by_its_path() {
        use breakroom_proto::identity::v1::{InviteUserRequest, Membership, User};
        let descriptor = input_of("/breakroom.identity.v1.IdentityService/InviteUser");
        let request = InviteUserRequest {
            parent: "tenants/acme".into(),
            user: Some(User {
                display_name: "Ann\u{1b}[2J".into(),
                memberships: vec![
                    Membership {
                        store: "tenants/acme/stores/s1".into(),
                        ..Default::default()
                    },
                    Membership {
                        store: "tenants/acme/stores/s\0".into(),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }),
            request_id: String::new(),
        };
        let status = check_frames(&descriptor, frame(&request)).unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        let mut fields = violated_fields(&status);
        fields.sort();
        assert_eq!(fields, ["user.display_name", "user.memberships[1].store"]);
    }

    #[test]
    fn a_clean_request_passes_unchanged() {
        use breakroom_proto::kit::testing::v1::IncrementCounterRequest;
        let descriptor = input_of("/breakroom.kit.testing.v1.CounterService/IncrementCounter");
        let request = IncrementCounterRequest {
            name: "tenants/a/counters/c".into(),
            amount: 1,
            request_id: "line one\r\nline two\t".into(),
        };
        check_frames(&descriptor, frame(&request)).unwrap();
    }

    #[test]
    fn bytes_that_are_not_the_request_message_are_the_callers_mistake() {
        let descriptor = input_of("/grpc.health.v1.Health/Check");
        let garbage = Bytes::from_static(&[0, 0, 0, 0, 3, 0x0a, 0xff, 0xff]);
        let status = check_frames(&descriptor, garbage).unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            status
                .get_error_details()
                .error_info()
                .expect("ErrorInfo")
                .reason,
            "MALFORMED_MESSAGE"
        );
    }
}
